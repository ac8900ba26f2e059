// ffmpeg argv for the mix: the dub over a background (separated, or the ducked original), then loudness.
import { MIX_RATE } from './ffmpeg.js';
import { checkedNumber } from './argvValues.js';

/**
 * The premix keeps float samples: before the loudness gain a sum of dub and background may pass full scale,
 * and 16-bit would clip it there for good.
 */
export function premixArgv(bed: string, dub: string, filterScript: string, output: string, envelope?: string): string[] {
  return [
    'ffmpeg', '-nostdin', '-v', 'error', '-y', '-i', bed, '-i', dub, ...(envelope ? ['-i', envelope] : []),
    '-filter_complex_script', filterScript, '-map', '[out]', '-ar', String(MIX_RATE), '-c:a', 'pcm_f32le', '-f', 'wav', output,
  ];
}

/** The dub over a separated background: no ducking needed (there are no voices left in it), only 48 kHz stereo. */
export function separatedMixFilter(dubGainDb: number, backgroundGainDb = 0): string {
  return [
    `[0:a]aresample=${MIX_RATE},aformat=channel_layouts=stereo,volume=${backgroundGainDb}dB[bed]`,
    `[1:a]volume=${dubGainDb}dB[dub]`,
    `[bed][dub]amix=inputs=2:duration=first:normalize=0[out]`,
  ].join(';\n');
}

/**
 * The dub over the original, ducked by an envelope (input 2: a float WAV of centre and side gains, see
 * lib/duckEnvelope.ts) instead of a gate. The bed goes to mid/side, each is multiplied by its gain (interpolated
 * to 48 kHz, so the ramps are smooth to the sample), and back to left/right.
 */
export function duckedMixFilter(dubGainDb: number): string {
  return [
    `[0:a]aresample=${MIX_RATE},aformat=sample_fmts=fltp:channel_layouts=stereo,pan=stereo|c0=0.5*c0+0.5*c1|c1=0.5*c0-0.5*c1[ms]`,
    `[2:a]aresample=${MIX_RATE},aformat=sample_fmts=fltp:channel_layouts=stereo[env]`,
    `[ms][env]amultiply,pan=stereo|c0=c0+c1|c1=c0-c1[bed]`,
    `[1:a]volume=${dubGainDb}dB[dub]`,
    `[bed][dub]amix=inputs=2:duration=first:normalize=0[out]`,
  ].join(';\n');
}

/** ffmpeg measures true peak 4x oversampled; the limiter can work at 4x too, so what it holds is close to that. */
const OVERSAMPLED_RATE = MIX_RATE * 4;

/**
 * One gain to the loudness target, then a limiter at `ceilingDb` (loudnorm's own linear mode silently turns
 * dynamic when the gain would push peaks over; this never changes the dynamics except on the peaks
 * themselves). At 48 kHz it holds sample peaks only; `oversampled` runs it at 4x so inter-sample peaks are
 * caught too, at 3.5x the cost (1.54 s vs 0.44 s for a 5-minute mix on our bench machine).
 */
export function loudnessArgv(input: string, output: string, gainDb: number, ceilingDb: number, oversampled = true): string[] {
  checkedNumber(gainDb, -120, 120, 'the loudness gain (dB)');
  const limit = Math.min(1, Math.max(0.0625, 10 ** (checkedNumber(ceilingDb, -60, 0, 'the true-peak ceiling (dB)') / 20)));
  const limiter = `alimiter=limit=${limit.toFixed(5)}:attack=1:release=50:level=false`;
  const chain = [
    `volume=${gainDb.toFixed(2)}dB`,
    ...(oversampled ? [`aresample=${OVERSAMPLED_RATE}`, limiter, `aresample=${MIX_RATE}`] : [limiter]),
  ].join(',');
  return ['ffmpeg', '-nostdin', '-v', 'error', '-y', '-i', input, '-af', chain, '-ar', String(MIX_RATE), '-ac', '2', '-c:a', 'pcm_s16le', '-f', 'wav', output];
}

/** A plain gain (used to pull a mix whose true peak still came out over the ceiling back under it). */
export function gainArgv(input: string, output: string, gainDb: number): string[] {
  return ['ffmpeg', '-nostdin', '-v', 'error', '-y', '-i', input, '-af', `volume=${checkedNumber(gainDb, -120, 120, 'the gain (dB)').toFixed(2)}dB`, '-ar', String(MIX_RATE), '-ac', '2', '-c:a', 'pcm_s16le', '-f', 'wav', output];
}

/**
 * Most a mix is raised: a near-silent stretch (a streaming chunk of room tone, a dry run) would otherwise be
 * pushed up to dialogue level, noise and all.
 */
export const MAX_LOUDNESS_GAIN_DB = 20;

/** Gain that brings a measured integrated loudness to the target (silence measures -inf: no gain then). */
export function gainToTarget(measuredLufs: number, targetLufs: number): number {
  return Number.isFinite(measuredLufs) ? Math.min(MAX_LOUDNESS_GAIN_DB, targetLufs - measuredLufs) : 0;
}

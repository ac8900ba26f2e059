// The dub track (every fitted line placed sample-exact) and its mix over the ducked original.
import { open, stat, writeFile } from 'node:fs/promises';
import { MIX_RATE, mixArgv } from '../engines/ffmpeg.js';
import type { AudioTracks, FittedLine, PreparedJob } from '../lib/job.js';
import { parseWavHeader, wavHeader } from '../lib/wav.js';
import { commandLog, commit, hashOf, inJob, isFresh, tmpOf } from './artifacts.js';
import { run } from './run.js';

const CHANNELS = 2;
const FRAME_BYTES = CHANNELS * 2;

/**
 * Writes each clip at its start sample, clamped to its slot end so nothing can spill into the next line.
 * One clip in memory at a time: a 24-minute episode costs a few MB, not the whole track.
 */
export async function assembleDub(prep: PreparedJob, fitted: FittedLine[]): Promise<string> {
  const { job, media } = prep;
  const rel = 'audio/dub.48k.wav';
  const out = inJob(job, rel);
  const hash = hashOf('assemble', fitted, media.durationSec);
  if (await isFresh(job, out, hash)) return rel;

  const totalFrames = Math.round(media.durationSec * MIX_RATE);
  const dataBytes = totalFrames * FRAME_BYTES;
  const tmp = tmpOf(out);
  const fh = await open(tmp, 'w');
  try {
    await fh.write(wavHeader(MIX_RATE, CHANNELS, 16, dataBytes), 0, 44, 0);
    for (const line of [...fitted].sort((a, b) => a.start - b.start)) {
      const clipAbs = inJob(job, line.path);
      const size = (await stat(clipAbs)).size;
      const src = await open(clipAbs, 'r');
      try {
        const head = Buffer.alloc(Math.min(65536, size));
        await src.read(head, 0, head.length, 0);
        const fmt = parseWavHeader(head, size);
        if (fmt.sampleRate !== MIX_RATE || fmt.channels !== CHANNELS || fmt.bitsPerSample !== 16) {
          throw new Error(`clip ${line.path} is ${fmt.sampleRate} Hz/${fmt.channels} ch/${fmt.bitsPerSample} bit, want 48000/2/16`);
        }
        const from = Math.round(line.start * MIX_RATE);
        const last = Math.min(totalFrames, Math.floor(line.slotEnd * MIX_RATE));
        const frames = Math.max(0, Math.min(Math.floor(fmt.dataBytes / FRAME_BYTES), last - from));
        const pcm = Buffer.alloc(frames * FRAME_BYTES);
        await src.read(pcm, 0, pcm.length, fmt.dataOffset);
        await fh.write(pcm, 0, pcm.length, 44 + from * FRAME_BYTES);
      } finally {
        await src.close();
      }
    }
    await fh.truncate(44 + dataBytes); // the gaps read back as zeros: silence
  } finally {
    await fh.close();
  }
  await commit(job, tmp, out, hash);
  return rel;
}

/** Spans where the original is ducked: each source line and its dub, whichever is longer. */
export function duckSpans(fitted: FittedLine[]): [number, number][] {
  const spans = fitted
    .map((f) => [f.start, Math.max(f.sourceEnd, f.start + f.fittedDurationSec)] as [number, number])
    .sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const s of spans) {
    const last = merged[merged.length - 1];
    if (last && s[0] <= last[1]) last[1] = Math.max(last[1], s[1]);
    else merged.push([...s]);
  }
  return merged;
}

/**
 * ffmpeg's expression parser refuses a sum of about 100 terms or more ("Invalid argument" / "Cannot allocate
 * memory"), so the spans go into a chain of volume filters, at most this many each. Spans are disjoint, so at
 * any moment at most one filter of the chain ducks and the rest multiply by exactly 1.
 */
export const SPANS_PER_VOLUME_FILTER = 40;

export function mixFilter(spans: [number, number][], duckDb: number, dubGainDb: number): string {
  const duck = 10 ** (duckDb / 20);
  const groups: [number, number][][] = [];
  for (let i = 0; i < spans.length; i += SPANS_PER_VOLUME_FILTER) groups.push(spans.slice(i, i + SPANS_PER_VOLUME_FILTER));
  if (groups.length === 0) groups.push([]);
  const volume = (group: [number, number][]) => {
    const inside = group.length ? group.map(([a, b]) => `between(t,${a.toFixed(3)},${b.toFixed(3)})`).join('+') : '0';
    return `volume='if(gt(${inside},0),${duck.toFixed(4)},1)':eval=frame`;
  };
  return [
    `[0:a]${groups.map(volume).join(',')}[bed]`,
    `[1:a]volume=${dubGainDb}dB[dub]`,
    `[bed][dub]amix=inputs=2:duration=first:normalize=0[out]`,
  ].join(';\n');
}

export async function mixDub(prep: PreparedJob, audio: AudioTracks, dubRel: string, fitted: FittedLine[]): Promise<string> {
  const { job, options } = prep;
  const rel = 'audio/mix.48k.wav';
  const out = inJob(job, rel);
  const dubAbs = inJob(job, dubRel);
  const dubStat = await stat(dubAbs);
  const spans = duckSpans(fitted);
  const hash = hashOf('mix', dubStat.size, dubStat.mtimeMs, spans, options.mix);
  if (await isFresh(job, out, hash)) return rel;
  const script = inJob(job, 'tmp/mix.filter.txt');
  await writeFile(script, mixFilter(spans, options.mix.duckDb, options.mix.dubGainDb));
  await run(mixArgv(inJob(job, audio.mix), dubAbs, script, tmpOf(out)), { timeoutMs: 30 * 60_000, recordTo: commandLog(job) });
  await commit(job, tmpOf(out), out, hash);
  return rel;
}


// The ducked original on a real scene (music bed, effects, four voices): the background follows an envelope with
// ramps, never a gate. Measured per 10 ms frame on the premix ffmpeg renders, against the same frames of the source.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { duckSpans } from '../../activities/mix.js';
import { duckedMixFilter, premixArgv } from '../../engines/ffmpegMix.js';
import { run } from '../../engines/run.js';
import { DUCK_ATTACK_SEC, DUCK_RELEASE_SEC, duckEnvelope, envelopeWav, SIDE_DUCK_SHARE } from '../../lib/duckEnvelope.js';
import type { FittedLine } from '../../lib/job.js';
import { decodeStereo, loadScene, type Scene } from '../fixtures/scenes.js';
import { tempDir } from '../support/jobs.js';

const RATE = 48000;
const FRAME = RATE / 100; // 10 ms
const DUCK_DB = -18; // the default mix.duckDb

interface Frames { mid: Float64Array; side: Float64Array; all: Float64Array }

/** Energy per 10 ms frame: of the centre (L+R)/2, the side (L−R)/2, and both channels. */
function frames(x: Float32Array): Frames {
  const n = Math.floor(x.length / 2 / FRAME);
  const f = { mid: new Float64Array(n), side: new Float64Array(n), all: new Float64Array(n) };
  for (let k = 0; k < n; k++) {
    let m = 0, s = 0, a = 0;
    for (let i = k * FRAME; i < (k + 1) * FRAME; i++) {
      const l = x[2 * i], r = x[2 * i + 1];
      m += ((l + r) / 2) ** 2; s += ((l - r) / 2) ** 2; a += l * l + r * r;
    }
    f.mid[k] = m / FRAME; f.side[k] = s / FRAME; f.all[k] = a / FRAME / 2;
  }
  return f;
}

const dB = (e: number) => 10 * Math.log10(Math.max(e, 1e-12));

/** Gain of each frame (output against source, dB), where the source is not silent. */
function gains(out: Float64Array, src: Float64Array): (number | undefined)[] {
  return Array.from(src, (e, k) => (dB(e) > -75 ? dB(out[k]) - dB(e) : undefined));
}

/** Largest change of the gain between neighbouring 10 ms frames, of the centre and of the side. */
function largestStepOf(out: Frames, src: Frames): number {
  return Math.max(largestStep(gains(out.mid, src.mid)), largestStep(gains(out.side, src.side)));
}

function largestStep(g: (number | undefined)[]): number {
  let worst = 0;
  for (let k = 1; k < g.length; k++) if (g[k] !== undefined && g[k - 1] !== undefined) worst = Math.max(worst, Math.abs(g[k]! - g[k - 1]!));
  return worst;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function framesWhere(n: number, keep: (t: number) => boolean): number[] {
  return Array.from({ length: n }, (_, k) => k).filter((k) => keep((k + 0.5) / 100));
}

describe('ducking on a real scene (real ffmpeg)', () => {
  let dir: string;
  let scene: Scene;
  let spans: [number, number][];

  /** The premix of `source` ducked under the scene's lines with a silent dub; returns the source and the output. */
  async function duck(source: string, tag: string): Promise<{ src: Frames; out: Frames }> {
    const wav = path.join(dir, `${tag}.source.wav`);
    await run(['ffmpeg', '-nostdin', '-v', 'error', '-y', '-i', source, '-ac', '2', '-ar', String(RATE), '-c:a', 'pcm_s16le', wav]);
    const dub = path.join(dir, 'silence.wav');
    await run(['ffmpeg', '-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', `anullsrc=r=${RATE}:cl=stereo`, '-t', String(scene.durationSec), '-c:a', 'pcm_s16le', dub]);
    const envelope = path.join(dir, `${tag}.duck.wav`);
    await writeFile(envelope, envelopeWav(duckEnvelope(spans, DUCK_DB, scene.durationSec + 2)));
    const script = path.join(dir, `${tag}.filter.txt`);
    await writeFile(script, duckedMixFilter(0));
    const premix = path.join(dir, `${tag}.premix.wav`);
    await run(premixArgv(wav, dub, script, premix, envelope));
    return { src: frames(await decodeStereo(wav, dir)), out: frames(await decodeStereo(premix, dir)) };
  }

  beforeAll(async () => {
    dir = await tempDir('ducking');
    scene = await loadScene('classroom');
    // The dub lines as the mix sees them: each true line, its dub as long as the source.
    spans = duckSpans(scene.lines.map((l) => ({ start: l.start, sourceEnd: l.end, fittedDurationSec: l.end - l.start }) as FittedLine));
  });

  it('never steps the background by more than 3 dB within 10 ms, and ducks it fully under the lines', async () => {
    const { src, out } = await duck(scene.audio, 'scene');
    const all = gains(out.all, src.all);
    const step = largestStepOf(out, src);
    const inside = framesWhere(all.length, (t) => spans.some(([a, b]) => t > a + 0.02 && t < b - 0.02));
    const between = framesWhere(all.length, (t) => spans.every(([a, b]) => t < a - DUCK_ATTACK_SEC - 0.02 || t > b + DUCK_RELEASE_SEC + 0.02));
    const mid = gains(out.mid, src.mid);
    const side = gains(out.side, src.side);
    const midInside = median(inside.map((k) => mid[k]).filter((g): g is number => g !== undefined));
    const sideInside = median(inside.map((k) => side[k]).filter((g): g is number => g !== undefined));
    const betweenGain = median(between.map((k) => all[k]).filter((g): g is number => g !== undefined));
    console.log(`scene ${scene.name}: ${spans.length} ducked spans; largest 10 ms step ${step.toFixed(2)} dB; under lines: centre ${midInside.toFixed(1)} dB, side ${sideInside.toFixed(1)} dB; between lines ${betweenGain.toFixed(2)} dB`);
    expect(step).toBeLessThanOrEqual(3);
    expect(Math.abs(midInside - DUCK_DB)).toBeLessThan(0.5);
    expect(Math.abs(sideInside - DUCK_DB * SIDE_DUCK_SHARE)).toBeLessThan(0.5);
    expect(Math.abs(betweenGain)).toBeLessThan(0.1);
  }, 120_000);

  it('keeps music and effects under the lines louder at the sides than in the centre (music + effects alone)', async () => {
    const { src, out } = await duck(scene.bed, 'bed');
    const step = largestStepOf(out, src);
    const inside = framesWhere(out.all.length, (t) => spans.some(([a, b]) => t > a + 0.02 && t < b - 0.02));
    const level = (f: Float64Array) => dB(inside.reduce((s, k) => s + f[k], 0) / inside.length);
    const srcAll = level(src.all), outAll = level(out.all), outMid = level(out.mid), outSide = level(out.side);
    // Effects under lines: the footsteps under lines 8-9 of the classroom.
    const steps = scene.effects.find((e) => e.kind === 'footsteps' && e.under.length > 0)!;
    const fx = framesWhere(out.all.length, (t) => t >= steps.start && t <= steps.end && spans.some(([a, b]) => t > a && t < b));
    const peak = (f: Float64Array) => dB(Math.max(...fx.map((k) => f[k])));
    console.log(`bed ${scene.name}: largest 10 ms step ${step.toFixed(2)} dB; under lines: source ${srcAll.toFixed(1)} dBFS, ducked ${outAll.toFixed(1)} dBFS (centre ${outMid.toFixed(1)}, side ${outSide.toFixed(1)}); footsteps under lines peak ${peak(src.all).toFixed(1)} -> ${peak(out.all).toFixed(1)} dBFS (10 ms RMS)`);
    expect(step).toBeLessThanOrEqual(3);
    expect(outAll - srcAll).toBeGreaterThan(DUCK_DB); // the side keeps part of the bed up
    expect(peak(out.all)).toBeGreaterThan(-50); // effects under dialogue stay audible
  }, 120_000);

  it('a gate (what ducking was) fails the same measure', async () => {
    const wav = path.join(dir, 'scene.source.wav');
    const gated = path.join(dir, 'gated.wav');
    const inside = spans.map(([a, b]) => `between(t,${a.toFixed(3)},${b.toFixed(3)})`).join('+');
    await run(['ffmpeg', '-nostdin', '-v', 'error', '-y', '-i', wav, '-af', `volume='if(gt(${inside},0),${(10 ** (DUCK_DB / 20)).toFixed(4)},1)':eval=frame`, '-c:a', 'pcm_f32le', gated]);
    const src = frames(await decodeStereo(wav, dir));
    const out = frames(await decodeStereo(gated, dir));
    expect(largestStepOf(out, src)).toBeGreaterThan(10);
  }, 120_000);
});

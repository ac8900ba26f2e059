// Who speaks and where lines start, with the real engines: Silero VAD and the embedded diarizer in a warm engine
// host, faster-whisper base, on the Kokoro scenes of issue 25 (four characters over a music bed with effects).
import { afterAll, describe, expect, it } from '@jest/globals';
import { ApplicationFailure } from '@temporalio/common';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { closeEngineHosts } from '../../engines/engineHost.js';
import { run } from '../../engines/run.js';
import { speakerEmbeddingModel } from '../../engines/speakerEmbedding.js';
import { vadModel, voiceActivity, voiceTurns } from '../../engines/voiceActivity.js';
import { speakersFromTurns } from '../../lib/diarizer.js';
import type { DubJobResult } from '../../lib/job.js';
import type { VoicePlan } from '../../lib/voices.js';
import { japaneseClip } from '../fixtures/realSpeech.js';
import { loadScene, sceneVideo, type Scene, type SceneLine } from '../fixtures/scenes.js';
import { defaultJobInput, startJob, tempDir } from '../support/jobs.js';
import { PROJECT_ROOT } from '../support/env.js';
import { withWorker } from '../support/workers.js';

type Timed = { index: number; start: number; end: number };
const overlap = (a: { start: number; end: number }, b: { start: number; end: number }) => Math.max(0, Math.min(a.end, b.end) - Math.max(a.start, b.start));

/** Each dub line's true line: the one it overlaps most (undefined for a line over no true line). */
function trueLineOf(line: Timed, truth: readonly SceneLine[]): SceneLine | undefined {
  let best: SceneLine | undefined;
  for (const t of truth) if (overlap(line, t) > (best ? overlap(line, best) : 0)) best = t;
  return best;
}

/** 16 kHz mono WAV of any audio, through ffmpeg; `filter` optionally shapes it first. */
async function analysisWav(input: string[], out: string, filter?: string): Promise<string> {
  await mkdir(path.dirname(out), { recursive: true });
  await run(['ffmpeg', '-nostdin', '-v', 'error', '-y', ...input, ...(filter ? ['-filter_complex', filter] : []), '-ac', '1', '-ar', '16000', '-c:a', 'pcm_s16le', out], { timeoutMs: 120_000 });
  return out;
}

/** Fraction of true lines whose dub lines got the right speaker, with clusters matched to speakers one to one (best first). */
function speakerAccuracy(truth: readonly { speaker: string }[], labels: readonly (string | undefined)[]): number {
  const counts = new Map<string, Map<string, number>>();
  truth.forEach((t, i) => {
    const l = labels[i];
    if (!l) return;
    const row = counts.get(t.speaker) ?? new Map<string, number>();
    row.set(l, (row.get(l) ?? 0) + 1);
    counts.set(t.speaker, row);
  });
  const pairs = [...counts].flatMap(([s, row]) => [...row].map(([l, n]) => ({ s, l, n }))).sort((a, b) => b.n - a.n);
  const taken = new Map<string, string>();
  const used = new Set<string>();
  for (const p of pairs) if (!taken.has(p.s) && !used.has(p.l)) { taken.set(p.s, p.l); used.add(p.l); }
  return truth.filter((t, i) => labels[i] !== undefined && taken.get(t.speaker) === labels[i]).length / truth.length;
}

describe('the embedded diarizer and Silero VAD, driven directly in a warm engine host (no torch)', () => {
  afterAll(() => closeEngineHosts());

  it('the two-voice Kokoro dialogue: two speakers, every line the right one', async () => {
    const clip = await japaneseClip();
    const dir = await tempDir('diarize-dialogue');
    const wav = await analysisWav(['-i', path.join(PROJECT_ROOT, 'test', 'fixtures', 'ja', 'dialogue.opus')], path.join(dir, 'dialogue.wav'));
    const { turns, speakers } = await voiceTurns(wav);
    expect(speakers).toBe(2);
    const bySpeaker = speakersFromTurns(clip.lines.map((l, index) => ({ index, start: l.start, end: l.end })), turns);
    const labels = clip.lines.map((_, i) => bySpeaker[String(i)]);
    expect(speakerAccuracy(clip.lines, labels)).toBe(1);
  }, 120_000);

  it('a scene with one speaker over the music bed and its effects gets one speaker', async () => {
    const scene = await loadScene('classroom');
    const dir = await tempDir('diarize-one');
    const hers = scene.lines.filter((l) => l.speaker === 'Haruka');
    const only = hers.map((l) => `between(t,${(l.start - 0.1).toFixed(2)},${(l.end + 0.1).toFixed(2)})`).join('+');
    const wav = await analysisWav(['-i', scene.dialogue, '-i', scene.bed], path.join(dir, 'one.wav'),
      `[0]aformat=channel_layouts=mono,volume=0:enable='not(${only})'[d];[1]aformat=channel_layouts=mono[b];[d][b]amix=inputs=2:normalize=0`);
    const { speakers, turns } = await voiceTurns(wav);
    expect(turns.length).toBeGreaterThanOrEqual(hers.length);
    expect(speakers).toBe(1);
  }, 120_000);

  // The classroom's two men are one Kokoro voice (Sota is 70 % Tanaka's): CAM++ told them apart only once the music
  // bed was subtracted from the pieces (engines/host/bed_subtraction.py; 71 % and 3 speakers before).
  it('the four-character scenes over their music bed (CAM++ embeddings of bed-subtracted pieces): both scenes\' four voices found, ≥ 90 % of their lines on the right cluster', async () => {
    const reached = { festival: { accuracy: 0.9, speakers: [4, 4] }, classroom: { accuracy: 0.9, speakers: [4, 4] } } as const;
    for (const name of ['festival', 'classroom'] as const) {
      const scene = await loadScene(name);
      const wav = await analysisWav(['-i', scene.audio], path.join(await tempDir(`diarize-${name}`), 'scene.wav'));
      const { turns, speakers } = await voiceTurns(wav);
      const bySpeaker = speakersFromTurns(scene.lines.map((l, index) => ({ index, start: l.start, end: l.end })), turns);
      const accuracy = speakerAccuracy(scene.lines, scene.lines.map((_, i) => bySpeaker[String(i)]));
      console.log(`${name}: ${speakers} speakers, ${(accuracy * 100).toFixed(0)} % of ${scene.lines.length} lines on the right cluster`);
      expect(speakers).toBeGreaterThanOrEqual(reached[name].speakers[0]);
      expect(speakers).toBeLessThanOrEqual(reached[name].speakers[1]);
      expect(accuracy).toBeGreaterThanOrEqual(reached[name].accuracy);
    }
  }, 300_000);

  it('a damaged or missing CAM++ conversion fails with EngineMissing naming scripts/setup.sh', async () => {
    const dir = await tempDir('campplus-damaged');
    await mkdir(path.join(dir, 'campplus'), { recursive: true });
    await writeFile(path.join(dir, 'campplus', 'campplus_cn_en_common.npz'), 'not the weights');
    const before = process.env.ENGINE_MODELS_DIR;
    process.env.ENGINE_MODELS_DIR = dir;
    try {
      const err = await speakerEmbeddingModel().then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(ApplicationFailure);
      expect((err as ApplicationFailure).type).toBe('EngineMissing');
      expect((err as ApplicationFailure).message).toMatch(/CAM\+\+ speaker embedding: .*damaged or not the pinned one.*scripts\/setup\.sh/);
      process.env.ENGINE_MODELS_DIR = path.join(dir, 'nowhere');
      expect(((await speakerEmbeddingModel().catch((e: unknown) => e)) as ApplicationFailure).message).toMatch(/CAM\+\+ speaker embedding: the model file .* is missing; run scripts\/setup\.sh/);
    } finally {
      if (before === undefined) delete process.env.ENGINE_MODELS_DIR;
      else process.env.ENGINE_MODELS_DIR = before;
    }
  }, 60_000);

  it('Silero VAD on both scenes with their music bed and effects: nothing voiced over the title chime, off the lines only inside an effect, a voice onset within ±200 ms of ≥ 80 % of line starts', async () => {
    for (const name of ['classroom', 'festival'] as const) {
      const scene = await loadScene(name);
      const wav = await analysisWav(['-i', scene.audio], path.join(await tempDir(`vad-${name}`), 'scene.wav'));
      const regions = await voiceActivity(wav);
      // The music bed and the title chime are not speech: nothing voiced before the first line, and off the lines only
      // short stretches inside a sound effect (the festival's fireworks; Whisper hears no words there, so no line).
      expect(regions[0].start).toBeGreaterThan(scene.lines[0].start - 0.2);
      const stray = regions.filter((r) => !scene.lines.some((l) => overlap(r, { start: l.start - 0.3, end: l.end + 0.3 }) > 0));
      console.log(`${name}: voiced stretches off the lines: ${stray.map((r) => `${r.start}-${r.end}`).join(', ') || 'none'}`);
      for (const r of stray) {
        expect(r.end - r.start).toBeLessThan(0.7);
        expect(scene.effects.some((e) => e.kind !== 'title chime' && overlap(r, e) > 0)).toBe(true);
      }
      const near = scene.lines.filter((l) => regions.some((r) => Math.abs(r.start - l.start) <= 0.2)).length / scene.lines.length;
      console.log(`${name}: ${regions.length} voiced stretches; a voice onset within 200 ms of ${(near * 100).toFixed(0)} % of the ${scene.lines.length} line starts`);
      expect(near).toBeGreaterThanOrEqual(0.8);
    }
  }, 120_000);

  it('a damaged VAD model fails with EngineMissing naming scripts/setup.sh', async () => {
    const dir = await tempDir('vad-damaged');
    await mkdir(path.join(dir, 'silero'), { recursive: true });
    await writeFile(path.join(dir, 'silero', 'silero_vad.onnx'), 'not a model');
    const before = process.env.ENGINE_MODELS_DIR;
    process.env.ENGINE_MODELS_DIR = dir;
    try {
      const err = await vadModel().then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(ApplicationFailure);
      expect((err as ApplicationFailure).type).toBe('EngineMissing');
      expect((err as ApplicationFailure).message).toMatch(/Silero VAD model: .*damaged or not the pinned one.*scripts\/setup\.sh/);
      process.env.ENGINE_MODELS_DIR = path.join(dir, 'nowhere');
      expect(((await vadModel().catch((e: unknown) => e)) as ApplicationFailure).message).toMatch(/Silero VAD model: the model file .* is missing; run scripts\/setup\.sh/);
    } finally {
      if (before === undefined) delete process.env.ENGINE_MODELS_DIR;
      else process.env.ENGINE_MODELS_DIR = before;
    }
  }, 60_000);
});

describe('a dub job on a scene with a music bed, with no engine flags (real dev server and worker, faster-whisper base)', () => {
  const queues = withWorker('voicelines', { prepare: async () => sceneVideo(await loadScene('classroom')) });

  it('every line gets a speaker from the embedded diarizer by default; no line starts over the title chime; ≥ 90 % of the lines start within ±200 ms of the true line, none carries two characters, ≥ 90 % of the true lines heard and on the right speaker cluster', async () => {
    const scene: Scene = await loadScene('classroom');
    const result: DubJobResult = await (await startJob(defaultJobInput(await sceneVideo(scene), queues, await tempDir('voicelines'), { src: 'ja', tgt: 'en' }), queues)).result();
    const transcript = JSON.parse(await readFile(path.join(result.outputDir, 'transcript.json'), 'utf8')) as { lines: Timed[] };
    const lines = transcript.lines;
    expect(lines.length).toBeGreaterThan(0);
    // The title chime (0.3-4.25 s) and the music under it are not a line: before the fix the first line began 4 s early.
    expect(Math.min(...lines.map((l) => l.start))).toBeGreaterThan(scene.lines[0].start - 0.2);

    const plan = JSON.parse(await readFile(path.join(result.outputDir, 'voices', 'voices.json'), 'utf8')) as VoicePlan;
    expect(plan.speakersFrom).toBe('diarizer');
    expect(plan.note).toMatch(/^embedded diarizer/);
    expect(Object.keys(plan.lineSpeakers ?? {}).sort()).toEqual(lines.map((l) => String(l.index)).sort());

    // Issue 25's targets: starts within ±200 ms, none over 0.5 s early, no line with two characters in it, the true
    // lines on the right speaker. Whisper begins at the first voice: begun under the title chime it heard nothing
    // before 19 s (4 of 17 lines lost; docs/PERFORMANCE.md).
    expect(lines.length).toBeGreaterThanOrEqual(16);
    const offsets = lines.map((l) => ({ l, t: trueLineOf(l, scene.lines) })).filter((x) => x.t).map((x) => x.l.start - x.t!.start);
    const within = offsets.filter((d) => Math.abs(d) <= 0.2).length / offsets.length;
    const twoCharacters = lines.filter((l) => new Set(scene.lines.filter((t) => overlap(l, t) > 0.3).map((t) => t.speaker)).size > 1).length;
    const labels = scene.lines.map((t) => {
      const own = lines.filter((l) => overlap(l, t) > 0).sort((a, b) => overlap(b, t) - overlap(a, t))[0];
      return own ? plan.lineSpeakers![String(own.index)] : undefined;
    });
    console.log(`classroom: ${lines.length} dub lines for ${scene.lines.length} true ones; ${(within * 100).toFixed(0)} % start within ±200 ms (offsets ${offsets.map((d) => d.toFixed(2)).join(' ')}); `
      + `${twoCharacters} carry two characters; ${plan.note}; ${(speakerAccuracy(scene.lines, labels) * 100).toFixed(0)} % of true lines on the right speaker cluster`);
    expect(within).toBeGreaterThanOrEqual(0.9);
    expect(Math.min(...offsets)).toBeGreaterThanOrEqual(-0.5);
    expect(twoCharacters).toBe(0);
    expect(speakerAccuracy(scene.lines, labels)).toBeGreaterThanOrEqual(0.9);
  }, 600_000);
});

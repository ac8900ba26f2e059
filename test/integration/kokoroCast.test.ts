// A cast, not a narrator: the Kokoro dialogue (Misaki, a woman, and Kenta, a man; Japanese, named in WebVTT) dubbed
// with no engine flags, on a real dev server and worker, real Kokoro and piper in the warm engine host, and real
// Whisper (faster-whisper base) listening to the Spanish dub. Who got which voice is read from voices/voices.json,
// what each line sounds like from its clip (tts/NNNN.wav) measured with the project's own pitch tracker.
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DubJobResult } from '../../lib/job.js';
import type { VoicePlan } from '../../lib/voices.js';
import { measureClipFeatures } from '../../engines/prosodyFeatures.js';
import { closeEngineHosts, hostPool } from '../../engines/engineHost.js';
import { DEFAULT_MODELS_DIR } from '../../engines/bundledModels.js';
import { run } from '../../engines/run.js';
import { japaneseClip, type JapaneseLine } from '../fixtures/realSpeech.js';
import { loadScene, sceneVideo } from '../fixtures/scenes.js';
import { defaultJobInput, startJob, tempDir } from '../support/jobs.js';
import { wordErrorRate } from '../support/media.js';
import { withWorker } from '../support/workers.js';

/** The dialogue in Spanish, line by line (test/fixtures/ja/dialogue.json gives the Japanese and English). */
const SPANISH = [
  'Buenos días. Hoy hace un tiempo muy bueno.',
  'Buenos días. Pero tengo un poco de sueño.',
  '¿Otra vez jugaste hasta muy tarde?',
  'Ayer vi una película hasta tarde.',
  'Entonces vamos a comer un pastel de camino a casa.',
  '¡Quiero ir! Pero dicen que va a llover por la tarde.',
  'No pasa nada. Traje un paraguas grande.',
  'Qué típico de ti. Entonces volvamos juntos.',
  '¡Mira! Hay un gato pequeño allí.',
  'Tienes razón. Es blanco y bonito.',
  '¡Date prisa! El autobús ya viene.',
  '¡Espera! Correr no se me da bien.',
];

async function writeVtt(file: string, lines: JapaneseLine[], text: (l: JapaneseLine) => string): Promise<string> {
  const ts = (s: number) => new Date(Math.round(s * 1000)).toISOString().slice(11, 23);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `WEBVTT\n\n${lines.map((l) => `${ts(l.start)} --> ${ts(l.end)}\n<v ${l.speaker}>${text(l)}`).join('\n\n')}\n`);
  return file;
}

const clipOf = (r: DubJobResult, i: number) => path.join(r.outputDir, 'tts', `${String(i).padStart(4, '0')}.wav`);

/** Median F0 of each speaker's dub lines (the median of their clips' medians). */
async function dubPitch(r: DubJobResult, lines: JapaneseLine[]): Promise<Record<string, number>> {
  const by: Record<string, number[]> = {};
  for (const l of lines) {
    const { f0MedianHz } = await measureClipFeatures(clipOf(r, l.index));
    if (f0MedianHz !== null) (by[l.speaker] ??= []).push(f0MedianHz);
  }
  return Object.fromEntries(Object.entries(by).map(([s, hz]) => [s, hz.sort((a, b) => a - b)[Math.floor(hz.length / 2)]]));
}

describe('a voice per character (real Kokoro and piper in the warm host, real dev server and worker)', () => {
  const queues = withWorker('kokorocast', { prepare: japaneseClip });
  afterAll(() => closeEngineHosts());

  const dub = async (name: string, tgt: string, text: (l: JapaneseLine) => string) => {
    const dir = await tempDir(name);
    const clip = await japaneseClip();
    const subs = await writeVtt(path.join(dir, 'in', 'ja.vtt'), clip.lines, (l) => l.ja);
    const translatedSubs = await writeVtt(path.join(dir, 'in', `${tgt}.vtt`), clip.lines, text);
    const handle = await startJob(defaultJobInput(clip.video, queues, path.join(dir, 'out'), { src: 'ja', tgt, subs, translatedSubs }), queues);
    const result: DubJobResult = await handle.result();
    const plan = JSON.parse(await readFile(path.join(result.outputDir, 'voices', 'voices.json'), 'utf8')) as VoicePlan;
    return { clip, result, plan };
  };

  it('Spanish (no engine flags): Kokoro, a female voice for Misaki and a male one for Kenta from their source pitch; Whisper understands the dub (WER ≤ 10 %)', async () => {
    const { clip, result, plan } = await dub('kokoro-es', 'es', (l) => SPANISH[l.index]);
    expect(plan.engine).toBe('kokoro');
    const misaki = plan.speakers.find((s) => s.speaker === 'Misaki')!;
    const kenta = plan.speakers.find((s) => s.speaker === 'Kenta')!;
    expect(misaki).toMatchObject({ register: 'female', voice: 'jf_alpha', engine: 'kokoro' });
    expect(kenta).toMatchObject({ register: 'male', voice: 'jm_kumo', engine: 'kokoro' });
    expect(misaki.sourcePitchHz).toBeGreaterThan(200);
    expect(kenta.sourcePitchHz).toBeLessThan(140);
    const pitch = await dubPitch(result, clip.lines);
    expect(pitch.Misaki).toBeGreaterThanOrEqual(165);
    expect(pitch.Kenta).toBeLessThanOrEqual(140);
    const report = JSON.parse(await readFile(path.join(result.outputDir, 'report.json'), 'utf8'));
    expect(report.engines.tts).toBe('kokoro');
    expect(report.cast.speakers).toEqual([
      { speaker: 'Misaki', engine: 'kokoro', voice: 'jf_alpha', register: 'female', sourcePitchHz: misaki.sourcePitchHz },
      { speaker: 'Kenta', engine: 'kokoro', voice: 'jm_kumo', register: 'male', sourcePitchHz: kenta.sourcePitchHz },
    ]);

    // Whisper hears the dub's lines, joined in order.
    const joined = path.join(result.outputDir, 'tmp', 'dub-lines.wav');
    const inputs = clip.lines.flatMap((l) => ['-i', clipOf(result, l.index)]);
    await run(['ffmpeg', '-nostdin', '-v', 'error', '-y', ...inputs, '-filter_complex', `${clip.lines.map((_, i) => `[${i}:a]`).join('')}concat=n=${clip.lines.length}:v=0:a=1[o]`, '-map', '[o]', '-ac', '1', '-ar', '16000', joined]);
    const heard = await hostPool().request<{ segments: { text: string }[] }>('transcribe',
      { model: path.join(DEFAULT_MODELS_DIR, 'whisper-base'), audio: joined, task: 'transcribe', language: 'es', device: 'cpu', beamSize: 5, vad: false },
      { modelKey: 'whisper-base', what: 'Whisper listening to the dub' });
    const wer = wordErrorRate(SPANISH.join(' '), heard.segments.map((s) => s.text).join(' '));
    expect(wer).toBeLessThanOrEqual(0.1);
  }, 600_000);

  it('the classroom scene (four characters, two women, a music bed) into English: every woman ≥ 165 Hz, every man ≤ 140 Hz, four different voices', async () => {
    // The scene's video as the other scene suites have it (made once in the shared media cache).
    const scene = await loadScene('classroom');
    const video = await sceneVideo(scene);
    const dir = await tempDir('kokoro-scene');
    const subs = await writeVtt(path.join(dir, 'in', 'ja.vtt'), scene.lines, (l) => l.ja);
    const translatedSubs = await writeVtt(path.join(dir, 'in', 'en.vtt'), scene.lines, (l) => l.en);
    const result: DubJobResult = await (await startJob(defaultJobInput(video, queues, path.join(dir, 'out'), { src: 'ja', tgt: 'en', subs, translatedSubs }), queues)).result();
    const plan = JSON.parse(await readFile(path.join(result.outputDir, 'voices', 'voices.json'), 'utf8')) as VoicePlan;
    expect(new Set(plan.speakers.map((v) => `${v.engine}:${v.voice}`)).size).toBe(Object.keys(scene.cast).length);
    for (const v of plan.speakers) expect(v.register).toBe(scene.cast[v.speaker].gender);
    const pitch = await dubPitch(result, scene.lines);
    for (const [speaker, { gender }] of Object.entries(scene.cast)) {
      if (gender === 'female') expect(pitch[speaker]).toBeGreaterThanOrEqual(165);
      else expect(pitch[speaker]).toBeLessThanOrEqual(140);
    }
  }, 900_000);

  it('English (no engine flags): piper joe stays the man, Misaki gets a Kokoro woman; each in their register', async () => {
    const { clip, result, plan } = await dub('kokoro-en', 'en', (l) => l.en);
    expect(plan.engine).toBe('piper');
    const misaki = plan.speakers.find((s) => s.speaker === 'Misaki')!;
    const kenta = plan.speakers.find((s) => s.speaker === 'Kenta')!;
    expect(kenta).toMatchObject({ register: 'male', engine: 'piper', voice: path.join(DEFAULT_MODELS_DIR, 'piper', 'en_US-joe-medium.onnx') });
    expect(misaki).toMatchObject({ register: 'female', engine: 'kokoro', voice: 'jf_alpha' });
    const pitch = await dubPitch(result, clip.lines);
    expect(pitch.Misaki).toBeGreaterThanOrEqual(165);
    expect(pitch.Kenta).toBeLessThanOrEqual(140);
  }, 600_000);
});

// piper (real: the bundled en_US-joe-medium voice, in the warm engine host), Coqui XTTS (in the same host, with a
// stand-in for its Python module: its weights cannot be installed here) and one voice per speaker, through real dub jobs on a real dev server and worker.
// Which voice each line used is read from the job's own logs: tmp/commands.jsonl (the argv every program ran
// with) and tmp/engine-host.jsonl (what the warm host was asked).
import { describe, expect, it } from '@jest/globals';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { JobOptionsInput } from '../../config/schema.js';
import type { DubJobResult } from '../../lib/job.js';
import { parseWavHeader, wavDurationSec } from '../../lib/wav.js';
import type { VoicePlan } from '../../lib/voices.js';
import { dialogueClip, shortClip, writeSrt } from '../fixtures/media.js';
import { PROJECT_ROOT, TEST_CACHE } from '../support/env.js';
import { jobInput, startJob, tempDir } from '../support/jobs.js';
import { probe } from '../support/media.js';
import { withWorker } from '../support/workers.js';

const STANDINS = path.join(PROJECT_ROOT, 'test', 'fixtures', 'standins');
const JOE = path.join(PROJECT_ROOT, '.tools', 'models', 'piper', 'en_US-joe-medium.onnx');
const XTTS_LOADS = path.join(TEST_CACHE, 'xtts-standin-loads.txt');
const SPEAKERS = ['Mio', 'Ritsu', 'Mio', 'Ritsu', 'Mio', 'Mio'];

async function writeVtt(file: string, cues: { start: number; end: number; text: string; speaker: string }[]): Promise<string> {
  const ts = (s: number) => new Date(Math.round(s * 1000)).toISOString().slice(11, 23);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `WEBVTT\n\n${cues.map((c) => `${ts(c.start)} --> ${ts(c.end)}\n<v ${c.speaker}>${c.text}`).join('\n\n')}\n`);
  return file;
}

interface Command { argv: string[] }
/** The synthesizer runs of a job, by line index (from the raw output name tmp/tts/NNNN.raw.wav). */
async function synthesisRuns(outputDir: string, program: string): Promise<Map<number, string[]>> {
  const log = (await readFile(path.join(outputDir, 'tmp', 'commands.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Command);
  const runs = new Map<number, string[]>();
  for (const { argv } of log) {
    if (path.basename(argv[0]) !== program) continue;
    const raw = argv.find((a) => /tmp\/tts\/\d{4}\.raw\.wav$/.test(a));
    if (raw) runs.set(Number(/(\d{4})\.raw\.wav$/.exec(raw)![1]), argv);
  }
  return runs;
}
const flag = (argv: string[], name: string) => argv[argv.indexOf(name) + 1];

interface PiperRequest { model: string; out: string; speakerId: number | null; lengthScale: number | null }
interface XttsRequest { model: string; out: string; speakerWav: string; language: string }
/** What the warm host was asked (piper: synthesize, XTTS: xtts), by line index (from the raw output name). */
async function hostRequests<R extends { out: string }>(outputDir: string, op = 'synthesize'): Promise<Map<number, R>> {
  const log = (await readFile(path.join(outputDir, 'tmp', 'engine-host.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Command);
  const requests = new Map<number, R>();
  for (const { argv } of log) {
    if (argv[0] !== op) continue;
    const req = JSON.parse(argv[1]) as R;
    const m = /tmp\/tts\/(\d{4})\.raw\.wav$/.exec(req.out);
    if (m) requests.set(Number(m[1]), req);
  }
  return requests;
}

async function audioLanguages(result: DubJobResult): Promise<string[]> {
  const { streams } = await probe(path.join(result.outputDir, result.outputs.mkv));
  return streams.filter((s) => s.codec_type === 'audio').map((s) => s.tags?.language ?? '');
}

describe('TTS engines and speakers (real piper, Coqui XTTS stand-in, real dev server and worker)', () => {
  // Coqui TTS as a Python module stand-in the engine host imports; each model load is counted in XTTS_LOADS.
  const queues = withWorker('ttsengines', {
    prepare: async () => Promise.all([dialogueClip(), shortClip(), rm(XTTS_LOADS, { force: true })]),
    env: { PATH: `${STANDINS}${path.delimiter}${process.env.PATH}`, PYTHONPATH: path.join(STANDINS, 'coqui'), COQUI_TOS_AGREED: '1', XTTS_STANDIN_LOADS: XTTS_LOADS },
  });
  const dub = async (name: string, extra: Partial<JobOptionsInput>, clip = dialogueClip) => {
    const dir = await tempDir(name);
    const c = await clip();
    return { clip: c, dir, handle: await startJob(jobInput(c.video, queues, path.join(dir, 'out'), extra), queues) };
  };
  const speakerSubs = async (dir: string) => {
    const clip = await dialogueClip();
    return writeVtt(path.join(dir, 'in', 'lines.vtt'), clip.script.map((l, i) => ({ ...l, speaker: SPEAKERS[i] })));
  };

  it('piper (real, bundled en_US-joe-medium) is the default English voice: one warm-host request per line, the MKV carries the English dub', async () => {
    const dir = await tempDir('piper-subs');
    const clip = await dialogueClip();
    const subs = await writeSrt(path.join(dir, 'lines.srt'), clip.script);
    // One narrator on purpose (diarize off): a cast would hand this female voice a Kokoro one (the cast tests cover that).
    const { handle } = await dub('piper', { subs, translate: false, tts: { diarize: 'off' } });
    const result: DubJobResult = await handle.result();
    const requests = await hostRequests<PiperRequest>(result.outputDir);
    expect([...requests.keys()].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    for (const req of requests.values()) {
      expect(req.model).toBe(JOE);
      expect(req.speakerId).toBeNull();
    }
    expect(await synthesisRuns(result.outputDir, 'text2wave')).toEqual(new Map()); // festival no longer speaks English by default
    expect(await audioLanguages(result)).toEqual(['eng', 'eng']);
    const report = JSON.parse(await readFile(path.join(result.outputDir, 'report.json'), 'utf8'));
    expect(report.engines.tts).toBe('piper');
    for (let i = 0; i < 6; i++) {
      const wav = await readFile(path.join(result.outputDir, 'tts', `${String(i).padStart(4, '0')}.wav`));
      expect(wavDurationSec(parseWavHeader(wav, wav.length))).toBeGreaterThan(0.5);
    }
  }, 240_000);

  it('piper (real) with two WebVTT speakers and a one-voice model: the second speaker is told apart by a pitch shift', async () => {
    const dir = await tempDir('piper-duo-subs');
    const { handle } = await dub('piper-duo', { subs: await speakerSubs(dir), translate: false, tts: { engine: 'piper' } });
    const result: DubJobResult = await handle.result();
    const plan = JSON.parse(await readFile(path.join(result.outputDir, 'voices', 'voices.json'), 'utf8')) as VoicePlan;
    expect(plan.speakersFrom).toBe('lines');
    expect(plan.speakers).toEqual([{ speaker: 'Mio', voice: JOE }, { speaker: 'Ritsu', voice: JOE, pitch: 0.8 }]);
    expect([...(await hostRequests<PiperRequest>(result.outputDir)).keys()].sort()).toEqual([0, 1, 2, 3, 4, 5]);
  }, 240_000);

  it('xtts (stand-in Coqui module, warm host): one reference clip per speaker cut from the source, every line of a speaker clones from it, the model loads once', async () => {
    const dir = await tempDir('xtts-subs');
    const { handle } = await dub('xtts', { subs: await speakerSubs(dir), tts: { engine: 'xtts' } });
    const result: DubJobResult = await handle.result();
    const saved = JSON.parse(await readFile(path.join(result.outputDir, 'voices', 'voices.json'), 'utf8'));
    expect(saved.speakers).toEqual([{ speaker: 'Mio', reference: 'voices/Mio.wav' }, { speaker: 'Ritsu', reference: 'voices/Ritsu.wav' }]);
    for (const pick of saved.references as { speaker: string; spans: { line: number }[]; totalSec: number; clean: boolean }[]) {
      expect(pick.clean).toBe(true);
      expect(pick.spans.every((s) => SPEAKERS[s.line] === pick.speaker)).toBe(true); // only the speaker's own lines
      const wav = await readFile(path.join(result.outputDir, 'voices', `${pick.speaker}.wav`));
      const fmt = parseWavHeader(wav, wav.length);
      expect(fmt.sampleRate).toBe(24_000);
      expect(fmt.channels).toBe(1);
      expect(Math.abs(wavDurationSec(fmt) - pick.totalSec)).toBeLessThan(0.1);
    }
    const requests = await hostRequests<XttsRequest>(result.outputDir, 'xtts');
    expect(requests.size).toBe(6);
    SPEAKERS.forEach((speaker, i) => {
      const req = requests.get(i)!;
      expect(req.speakerWav).toBe(path.join(result.outputDir, 'voices', `${speaker}.wav`));
      expect(req.language).toBe('es');
      expect(req.model).toBe('tts_models/multilingual/multi-dataset/xtts_v2');
    });
    expect(await audioLanguages(result)).toEqual(['spa', 'eng']);
    // Loaded once per warm host (at most one host per concurrent GPU activity), not once per line.
    const loads = (await readFile(XTTS_LOADS, 'utf8')).trim().split('\n');
    expect(loads.length).toBeLessThanOrEqual(2);
  }, 240_000);

  it('xtts (stand-in Coqui module) on lines that name nobody, one voice: the embedded diarizer (no pyannote, no torch) finds one speaker S1, and voices.json says so', async () => {
    const { handle } = await dub('xtts-single', { tts: { engine: 'xtts' }, subs: await writeSrt(path.join(await tempDir('xtts-single-subs'), 'l.srt'), (await shortClip()).script) }, shortClip);
    const result: DubJobResult = await handle.result();
    const plan = JSON.parse(await readFile(path.join(result.outputDir, 'voices', 'voices.json'), 'utf8')) as VoicePlan;
    expect(plan.speakersFrom).toBe('diarizer');
    expect(plan.note).toMatch(/^embedded diarizer \(Silero VAD \+ CAM\+\+ speaker embeddings\): 1 speaker in \d+ voiced stretches$/);
    expect(plan.speakers).toEqual([{ speaker: 'S1', reference: 'voices/S1.wav' }]);
    const requests = await hostRequests<XttsRequest>(result.outputDir, 'xtts');
    expect(new Set([...requests.values()].map((r) => r.speakerWav))).toEqual(new Set([path.join(result.outputDir, 'voices', 'S1.wav')]));
  }, 240_000);

  it('espeak-ng with two WebVTT speakers: the first keeps the plain voice, the second a distinct variant, on every line', async () => {
    const dir = await tempDir('espeak-subs');
    const { handle } = await dub('espeak-speakers', { subs: await speakerSubs(dir), tts: { engine: 'espeak-ng' } });
    const result: DubJobResult = await handle.result();
    const runs = await synthesisRuns(result.outputDir, 'espeak-ng');
    expect(SPEAKERS.map((_, i) => flag(runs.get(i)!, '-v'))).toEqual(SPEAKERS.map((s) => (s === 'Mio' ? 'es' : 'es+f2')));
  }, 240_000);

  it('festival with two WebVTT speakers: one HTS voice, the second speaker told apart by a pitch shift on each of their lines', async () => {
    const dir = await tempDir('festival-subs');
    const { handle } = await dub('festival-speakers', { subs: await speakerSubs(dir), translate: false, tts: { engine: 'festival' } });
    const result: DubJobResult = await handle.result();
    const plan = JSON.parse(await readFile(path.join(result.outputDir, 'voices', 'voices.json'), 'utf8')) as VoicePlan;
    expect(plan.speakers).toEqual([{ speaker: 'Mio', voice: 'cmu_us_slt_arctic_hts' }, { speaker: 'Ritsu', voice: 'cmu_us_slt_arctic_hts', pitch: 0.8 }]);
    const log = (await readFile(path.join(result.outputDir, 'tmp', 'commands.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Command);
    const shifted = log.filter((c) => c.argv[0] === 'ffmpeg' && c.argv.some((a) => a.includes('asetrate=38400')))
      .map((c) => Number(/(\d{4})\.pitch\.wav$/.exec(c.argv[c.argv.length - 1])?.[1]));
    expect(shifted.sort()).toEqual(SPEAKERS.flatMap((s, i) => (s === 'Ritsu' ? [i] : [])));
  }, 240_000);

  it('piper (real) with expressive prosody: the rate goes through its length_scale (1/rate), not a time-stretch', async () => {
    const dir = await tempDir('piper-expr-subs');
    const clip = await dialogueClip();
    const subs = await writeSrt(path.join(dir, 'lines.srt'), clip.script);
    const { handle } = await dub('piper-expressive', { subs, translate: false, tts: { engine: 'piper' }, expressive: { mode: 'auto', debug: true } });
    const result: DubJobResult = await handle.result();
    const requests = await hostRequests<PiperRequest>(result.outputDir);
    let changed = 0;
    for (let i = 0; i < clip.script.length; i++) {
      const plan = JSON.parse(await readFile(path.join(result.outputDir, 'expressive', 'plans', `${String(i).padStart(4, '0')}.json`), 'utf8'));
      const rate = plan.multipliers.rate as number;
      expect(plan.applied.rate).toBe(`piper length_scale ${(1 / rate).toFixed(3)}`);
      const req = requests.get(i)!;
      if (Math.abs(rate - 1) > 1e-3) {
        expect(req.lengthScale).toBeCloseTo(1 / rate, 3);
        changed++;
      } else expect(req.lengthScale).toBeNull();
    }
    expect(changed).toBeGreaterThan(0);
  }, 240_000);

  it('a piper voice that is not there fails the job at once with EngineMissing naming the fix', async () => {
    const { handle } = await dub('piper-missing', { tts: { engine: 'piper', piperModel: '/nonexistent/voice.onnx' } }, shortClip);
    const err = await handle.result().then(() => undefined, (e) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause.type).toBe('EngineMissing');
    expect(cause.message).toMatch(/no piper voice "\/nonexistent\/voice\.onnx".*--piper-model/);
  }, 120_000);
});

describe('diarization with a pyannote.audio stand-in (real dev server and worker)', () => {
  // The stand-in module labels speech regions SPEAKER_00 / SPEAKER_01 in turn: the six dialogue lines alternate.
  const queues = withWorker('ttsdiarize', {
    prepare: dialogueClip,
    env: { PYTHONPATH: path.join(STANDINS, 'pyannote') },
  });

  it('lines that name nobody get speakers from pyannote (tts.diarize pyannote), and each speaker its own espeak-ng voice', async () => {
    const dir = await tempDir('diarize');
    const clip = await dialogueClip();
    const subs = await writeSrt(path.join(dir, 'in', 'lines.srt'), clip.script);
    const handle = await startJob(jobInput(clip.video, queues, path.join(dir, 'out'), { subs, tts: { engine: 'espeak-ng', diarize: 'pyannote' } }), queues);
    const result: DubJobResult = await handle.result();
    const plan = JSON.parse(await readFile(path.join(result.outputDir, 'voices', 'voices.json'), 'utf8')) as VoicePlan;
    expect(plan.speakersFrom).toBe('diarizer');
    expect(plan.note).toBe('pyannote: 2 speakers in 6 turns');
    expect(plan.lineSpeakers).toEqual({ 0: 'S1', 1: 'S2', 2: 'S1', 3: 'S2', 4: 'S1', 5: 'S2' });
    expect(plan.speakers).toEqual([{ speaker: 'S1', voice: 'es' }, { speaker: 'S2', voice: 'es+f2' }]);
    const runs = await synthesisRuns(result.outputDir, 'espeak-ng');
    expect([0, 1, 2, 3, 4, 5].map((i) => flag(runs.get(i)!, '-v'))).toEqual(['es', 'es+f2', 'es', 'es+f2', 'es', 'es+f2']);
  }, 240_000);
});

import { describe, expect, it } from '@jest/globals';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ApplicationFailure } from '@temporalio/common';
import { parseTurns, pyannoteDiarizer } from '../../engines/diarize.js';
import { checkPiper, checkXtts, resolvePiperModel } from '../../engines/ttsChecks.js';
import { jobOptionsSchema } from '../../config/schema.js';
import { lengthScaleFor, pickPiperDefault, piperCandidates, piperRequest, piperSpeakerCount } from '../../engines/piper.js';
import { ESPEAK_VARIANTS, pitchShiftArgv } from '../../engines/tts.js';
import { chooseTtsEngine } from '../../engines/ttsEngines.js';
import { referenceClipArgv, xttsLanguage, xttsRequest } from '../../engines/xtts.js';
import { speakersFromTurns } from '../../lib/diarizer.js';
import type { Line } from '../../lib/job.js';
import { assignVoices, pickReference, referenceNames, speakersInOrder, voiceFor, voicesNeeded, type VoicePlan } from '../../lib/voices.js';

const line = (index: number, start: number, end: number, speaker?: string): Line => ({ index, start, end, text: `line ${index}`, ...(speaker ? { speaker } : {}) });

describe('reference clip selection (voice cloning)', () => {
  it('takes the speaker’s longest clean lines in 3–12 s, up to ~15 s, joined in time order', () => {
    const lines = [
      line(0, 0, 4, 'A'), line(1, 5, 14, 'A'), line(2, 15, 17, 'B'), line(3, 20, 26, 'A'), line(4, 30, 33.5, 'A'),
    ];
    const pick = pickReference(lines, 'A');
    // 9 s (line 1) + 6 s (line 3) = 15 s: the budget is full, shorter lines are not needed.
    expect(pick.spans).toEqual([{ start: 5, end: 14, line: 1 }, { start: 20, end: 26, line: 3 }]);
    expect(pick.totalSec).toBe(15);
    expect(pick.clean).toBe(true);
  });

  it('never uses a line that overlaps another speaker’s, and cuts a long line to 12 s', () => {
    const lines = [line(0, 0, 20, 'A'), line(1, 25, 31, 'A'), line(2, 28, 30, 'B')];
    const pick = pickReference(lines, 'A');
    expect(pick.spans).toEqual([{ start: 0, end: 12, line: 0 }]);
    expect(pick.spans.some((s) => s.line === 1)).toBe(false);
  });

  it('fills up to 6 s with shorter clean lines when no line reaches 3 s, longest first', () => {
    const lines = [line(0, 0, 1.5, 'A'), line(1, 2, 4.5, 'A'), line(2, 5, 7, 'A'), line(3, 8, 8.5, 'A'), line(4, 9, 11.2, 'A')];
    const pick = pickReference(lines, 'A');
    expect(pick.spans.map((s) => s.line)).toEqual([1, 2, 4]); // 2.5 + 2 + 2.2 = 6.7 s; 0.5 s line is below the floor
    expect(pick.totalSec).toBeCloseTo(6.7, 3);
  });

  it('falls back to overlapping lines (and says so) when the speaker never speaks alone', () => {
    const lines = [line(0, 0, 4, 'A'), line(1, 1, 3, 'B')];
    const pick = pickReference(lines, 'A');
    expect(pick.clean).toBe(false);
    expect(pick.spans).toEqual([{ start: 0, end: 4, line: 0 }]);
  });
});

describe('voice assignment', () => {
  const lines = [line(0, 3, 4, 'Mio'), line(1, 1, 2, 'Ritsu'), line(2, 5, 6, 'Yui'), line(3, 7, 8, 'Ritsu'), line(4, 9, 10)];

  it('orders speakers by first appearance in time; unnamed lines are S1', () => {
    expect(speakersInOrder(lines)).toEqual(['Ritsu', 'Mio', 'Yui', 'S1']);
  });

  it('gives espeak-ng speakers distinct variants, the first keeping the job’s voice, the same on every call', () => {
    const speakers = speakersInOrder(lines);
    const a = assignVoices(speakers, { engine: 'espeak-ng', baseVoice: 'es', espeakVariants: ESPEAK_VARIANTS });
    const b = assignVoices([...speakers], { engine: 'espeak-ng', baseVoice: 'es', espeakVariants: ESPEAK_VARIANTS });
    expect(a).toEqual(b);
    expect(a.map((v) => v.voice)).toEqual(['es', 'es+f2', 'es+m3', 'es+f4']);
    expect(new Set(a.map((v) => v.voice)).size).toBe(4);
  });

  it('honours tts.speakerVoices and replaces (not stacks) a configured variant', () => {
    const v = assignVoices(['A', 'B', 'C'], { engine: 'espeak-ng', baseVoice: 'es+m1', speakerVoices: { C: 'es+f5' }, espeakVariants: ESPEAK_VARIANTS });
    expect(v.map((x) => x.voice)).toEqual(['es+m1', 'es+f2', 'es+f5']);
  });

  it('festival and one-voice piper models tell speakers apart by pitch; multi-speaker piper models by speaker id', () => {
    const fest = assignVoices(['A', 'B', 'C'], { engine: 'festival', baseVoice: 'cmu_us_slt_arctic_hts', espeakVariants: ESPEAK_VARIANTS });
    expect(fest.map((v) => v.pitch)).toEqual([undefined, 0.8, 1.22]);
    const multi = assignVoices(['A', 'B', 'C'], { engine: 'piper', baseVoice: '/v/en.onnx', modelSpeakers: 2, espeakVariants: ESPEAK_VARIANTS });
    expect(multi.map((v) => v.speakerId)).toEqual([0, 1, 0]);
  });

  it('xtts speakers get one reference clip each, with safe, unique file names', () => {
    const v = assignVoices(['Mio Akiyama', 'mio akiyama', '../x'], { engine: 'xtts', baseVoice: 'es', espeakVariants: ESPEAK_VARIANTS });
    expect(v.map((x) => x.reference)).toEqual(['voices/Mio_Akiyama.wav', 'voices/mio_akiyama-2.wav', 'voices/x.wav']);
    expect(referenceNames(['', '___'])).toEqual(['speaker', 'speaker-2']);
  });

  it('looks a line’s voice up by its speaker (or the diarizer’s), and prepares voices only when needed', () => {
    const plan: VoicePlan = { engine: 'espeak-ng', speakersFrom: 'diarizer', speakers: [{ speaker: 'S1', voice: 'es' }, { speaker: 'S2', voice: 'es+f2' }], lineSpeakers: { '4': 'S2' } };
    expect(voiceFor(plan, line(4, 9, 10))?.voice).toBe('es+f2');
    expect(voiceFor(plan, line(5, 9, 10))?.voice).toBe('es');
    expect(voiceFor(undefined, line(5, 9, 10))).toBeUndefined();
    expect(voicesNeeded('espeak-ng', [line(0, 0, 1), line(1, 1, 2)])).toBe(false);
    expect(voicesNeeded('espeak-ng', [line(0, 0, 1, 'A'), line(1, 1, 2, 'B')])).toBe(true);
    expect(voicesNeeded('xtts', [line(0, 0, 1)])).toBe(true);
    expect(voicesNeeded('festival', [line(0, 0, 1)], { diarize: 'pyannote' })).toBe(true);
    expect(voicesNeeded('piper', [line(0, 0, 1)], { speakerVoices: { S1: 'es_ES-x' } })).toBe(true);
    expect(voicesNeeded('piper', [line(0, 0, 1)], { diarize: 'auto', speakerVoices: {} })).toBe(false);
  });
});

describe('diarization turns → line speakers', () => {
  it('gives each line the label overlapping it most, named S1, S2 by first appearance', () => {
    const turns = [{ start: 0, end: 3, label: 'SPEAKER_01' }, { start: 3, end: 6, label: 'SPEAKER_00' }, { start: 6, end: 9, label: 'SPEAKER_01' }];
    expect(speakersFromTurns([line(0, 0.2, 2.5), line(1, 2.8, 5.9), line(2, 6.5, 8), line(3, 12, 13)], turns)).toEqual({ 0: 'S1', 1: 'S2', 2: 'S1', 3: 'S1' });
    expect(speakersFromTurns([line(0, 0, 1)], [])).toEqual({ 0: 'S1' });
  });

  it('reads the pyannote script’s JSON and drops malformed turns', () => {
    expect(parseTurns('loading…\n[{"start":0,"end":1.5,"label":"SPEAKER_00"},{"start":2,"end":1,"label":"x"}]\n')).toEqual([{ start: 0, end: 1.5, label: 'SPEAKER_00' }]);
    expect(() => parseTurns('Traceback…')).toThrow(/no JSON turns/);
  });
});

describe('argv builders', () => {
  it('piper: model, output, speaker, and length_scale = 1/rate only when the rate changes', () => {
    expect(piperRequest('/o.wav', 'Hi.', { model: '/v/es.onnx' })).toEqual({ model: '/v/es.onnx', out: '/o.wav', text: 'Hi.', speakerId: null, lengthScale: null });
    expect(piperRequest('/o.wav', 'Hi.', { model: '/v/es.onnx', speakerId: 3, rate: 1.25 })).toEqual({ model: '/v/es.onnx', out: '/o.wav', text: 'Hi.', speakerId: 3, lengthScale: 0.8 });
    expect(lengthScaleFor(0.5)).toBe(2);
    expect(piperSpeakerCount('{"num_speakers": 4}')).toBe(4);
    expect(piperSpeakerCount('not json')).toBe(1);
    expect(piperCandidates('es_ES-davefx-medium', ['/a', '/b'])).toEqual(['/a/es_ES-davefx-medium.onnx', '/b/es_ES-davefx-medium.onnx']);
    expect(pickPiperDefault(['fr_FR-x.onnx', 'es_MX-b.onnx', 'es_ES-a.onnx', 'es_ES-a.onnx.json'], 'es')).toBe('es_ES-a.onnx');
  });

  it('xtts: the text as data (never argv), the reference, the language', () => {
    const req = xttsRequest('/o.wav', '-¡Hola! "ya"', { model: 'tts_models/multilingual/multi-dataset/xtts_v2', speakerWav: '/j/voices/A.wav', language: 'es' });
    expect(req).toEqual({ model: 'tts_models/multilingual/multi-dataset/xtts_v2', out: '/o.wav', text: '-¡Hola! "ya"', speakerWav: '/j/voices/A.wav', language: 'es' });
    expect(xttsLanguage('zh')).toBe('zh-cn');
    expect(xttsLanguage('eo')).toBeUndefined();
  });

  it('reference clip: one seeked input per span, concatenated to 24 kHz mono', () => {
    const argv = referenceClipArgv('/a.wav', [{ start: 1, end: 4.5 }, { start: 10, end: 12 }], '/r.wav');
    expect(argv.slice(0, 19)).toEqual(['ffmpeg', '-nostdin', '-v', 'error', '-y', '-ss', '1.000', '-t', '3.500', '-i', '/a.wav', '-ss', '10.000', '-t', '2.000', '-i', '/a.wav', '-filter_complex', '[0:a][1:a]concat=n=2:v=0:a=1,aresample=24000[out]']);
    expect(pitchShiftArgv('/i.wav', '/o.wav', 0.8)).toContain('asetrate=38400,aresample=48000,atempo=1.25000');
    const none = { piperVoice: false, kokoro: false };
    expect(chooseTtsEngine('auto', 'en', none)).toBe('festival');
    expect(chooseTtsEngine('xtts', 'en', none)).toBe('xtts');
    expect(chooseTtsEngine('auto', 'en', { piperVoice: true, kokoro: true })).toBe('piper');
    expect(chooseTtsEngine('auto', 'es', { piperVoice: false, kokoro: true })).toBe('kokoro');
    expect(chooseTtsEngine('auto', 'de', { piperVoice: false, kokoro: true })).toBe('espeak-ng');
    expect(chooseTtsEngine('auto', 'es', none)).toBe('espeak-ng');
  });
});

describe('engine checks name the fix', () => {
  const options = (tts: Record<string, unknown> = {}) => jobOptionsSchema.parse({ video: '/v.mp4', tts: { engine: 'piper', ...tts } });
  const failureOf = (p: Promise<unknown>) => p.then(() => undefined, (e: ApplicationFailure) => ({ type: e.type, message: e.message }));

  it('finds a piper voice by path, by name in PIPER_VOICES_DIR, or by language; a voice without its .onnx.json is refused', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'piper-voices-'));
    for (const name of ['es_ES-b-low', 'es_AR-a-medium']) {
      await writeFile(path.join(dir, `${name}.onnx`), '');
      await writeFile(path.join(dir, `${name}.onnx.json`), JSON.stringify({ num_speakers: name.includes('b') ? 3 : 1 }));
    }
    await writeFile(path.join(dir, 'fr_FR-broken.onnx'), '');
    const saved = process.env.PIPER_VOICES_DIR;
    process.env.PIPER_VOICES_DIR = dir;
    try {
      expect(await resolvePiperModel(options(), 'es')).toEqual({ model: path.join(dir, 'es_AR-a-medium.onnx'), speakers: 1 });
      expect(await resolvePiperModel(options({ piperModel: 'es_ES-b-low' }), 'es')).toEqual({ model: path.join(dir, 'es_ES-b-low.onnx'), speakers: 3 });
      expect(await failureOf(resolvePiperModel(options({ piperModel: path.join(dir, 'fr_FR-broken.onnx') }), 'fr'))).toMatchObject({ type: 'EngineMissing', message: expect.stringMatching(/no config beside it .*fr_FR-broken\.onnx\.json/) });
      expect(await failureOf(resolvePiperModel(options(), 'de'))).toMatchObject({ type: 'EngineMissing', message: expect.stringMatching(/no piper voice for "de" .*--piper-model/) });
    } finally {
      if (saved === undefined) delete process.env.PIPER_VOICES_DIR;
      else process.env.PIPER_VOICES_DIR = saved;
    }
  });

  it('no piper voice for the language, Coqui not on PATH, or a language XTTS does not speak: typed failures with the fix', async () => {
    const saved = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      expect(await failureOf(checkPiper(options(), 'es'))).toMatchObject({ type: 'EngineMissing', message: expect.stringMatching(/no piper voice for "es".*--piper-model/) });
      expect(await failureOf(checkXtts('es'))).toMatchObject({ type: 'EngineMissing', message: expect.stringMatching(/pip install coqui-tts/) });
    } finally {
      process.env.PATH = saved;
    }
    expect(await failureOf(checkXtts('eo'))).toMatchObject({ type: 'UnsupportedLanguage', message: expect.stringMatching(/XTTS v2 does not speak "eo"/) });
  });

  it('pyannote without pyannote.audio installed says so (the job then goes on with one speaker)', async () => {
    const check = await pyannoteDiarizer('python3').check();
    expect(check).toEqual({ available: false, reason: expect.stringMatching(/pyannote\.audio is not importable by python3 .*pip install pyannote\.audio/) });
    expect(await pyannoteDiarizer('/nonexistent/python3').check()).toEqual({ available: false, reason: '/nonexistent/python3 is not on PATH' });
  });
});

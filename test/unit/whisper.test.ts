import { describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { jobOptionsSchema } from '../../config/schema.js';
import { joinWords, splitAtPauses } from '../../lib/pauseSplit.js';
import { snapToSpeech } from '../../lib/speechRegions.js';
import {
  isWhisperEngine, parseWhisperCppJson, parseWhisperJson, whisperArgv, whisperCppArgv, whisperCppJsonPath, whisperJsonPath, wordsFromTokens,
} from '../../engines/whisper.js';
import { countByReason, guardSegments, normalizePhrase, speechShare } from '../../lib/hallucinationGuard.js';
import { wavHeader } from '../../lib/wav.js';
import { PROJECT_ROOT } from '../support/env.js';

const STANDINS = path.join(PROJECT_ROOT, 'test', 'fixtures', 'standins');

/** openai-whisper's json writer output (trimmed: tokens shortened), as `whisper --output_format json --word_timestamps True` writes it. */
const OPENAI_JSON = JSON.stringify({
  text: ' Good morning everyone. Thank you very much.',
  segments: [
    {
      id: 0, seek: 0, start: 0.5, end: 2.1, text: ' Good morning everyone.', tokens: [50365, 2205, 2446, 1518, 13, 50470],
      temperature: 0.0, avg_logprob: -0.2236, compression_ratio: 0.8, no_speech_prob: 0.0123,
      words: [
        { word: ' Good', start: 0.5, end: 0.82, probability: 0.91 },
        { word: ' morning', start: 0.82, end: 1.3, probability: 0.99 },
        { word: ' everyone.', start: 1.3, end: 2.1, probability: 0.97 },
      ],
    },
    {
      id: 1, seek: 0, start: 3.6, end: 5.02, text: ' Thank you very much.', tokens: [50545, 1044, 291, 588, 709, 13, 50615],
      temperature: 0.0, avg_logprob: -0.31, compression_ratio: 0.8, no_speech_prob: 0.04,
      words: [
        { word: ' Thank', start: 3.6, end: 3.9, probability: 0.8 },
        { word: ' you', start: 3.9, end: 4.1, probability: 0.99 },
        { word: ' very', start: 4.1, end: 4.4, probability: 0.99 },
        { word: ' much.', start: 4.4, end: 5.02, probability: 0.99 },
      ],
    },
  ],
  language: 'en',
});

/** whisper-cli -ojf output (systeminfo/model trimmed). */
const WHISPER_CPP_JSON = JSON.stringify({
  systeminfo: 'AVX = 1 | AVX2 = 1',
  model: { type: 'small', multilingual: true, vocab: 51865, mels: 80, ftype: 1 },
  params: { model: 'models/ggml-small.bin', language: 'auto', translate: false },
  result: { language: 'ja' },
  transcription: [
    {
      timestamps: { from: '00:00:00,500', to: '00:00:02,100' },
      offsets: { from: 500, to: 2100 },
      text: ' Good morning, everyone.',
      tokens: [
        { text: '[_BEG_]', timestamps: { from: '00:00:00,500', to: '00:00:00,500' }, offsets: { from: 500, to: 500 }, id: 50365, p: 0.8, t_dtw: -1 },
        { text: ' Good', timestamps: { from: '00:00:00,500', to: '00:00:00,820' }, offsets: { from: 500, to: 820 }, id: 2205, p: 0.9, t_dtw: -1 },
        { text: ' morning', timestamps: { from: '00:00:00,820', to: '00:00:01,300' }, offsets: { from: 820, to: 1300 }, id: 2446, p: 0.9, t_dtw: -1 },
        { text: ',', timestamps: { from: '00:00:01,300', to: '00:00:01,320' }, offsets: { from: 1300, to: 1320 }, id: 11, p: 0.9, t_dtw: -1 },
        { text: ' every', timestamps: { from: '00:00:01,320', to: '00:00:01,700' }, offsets: { from: 1320, to: 1700 }, id: 1518, p: 0.9, t_dtw: -1 },
        { text: 'one.', timestamps: { from: '00:00:01,700', to: '00:00:02,100' }, offsets: { from: 1700, to: 2100 }, id: 530, p: 0.9, t_dtw: -1 },
        { text: '[_TT_80]', timestamps: { from: '00:00:02,100', to: '00:00:02,100' }, offsets: { from: 2100, to: 2100 }, id: 50445, p: 0.5, t_dtw: -1 },
      ],
    },
    { timestamps: { from: '00:00:03,600', to: '00:00:05,020' }, offsets: { from: 3600, to: 5020 }, text: ' Thank you very much.' },
  ],
});

describe('Whisper-family adapters: argv builders', () => {
  const req = { audio: '/job/audio/analysis.wav', task: 'transcribe' as const, language: 'ja', noSpeechThreshold: 0.6 };

  it('builds the openai-whisper command with JSON output, word timestamps, True/False booleans and no fp16 on CPU', () => {
    expect(whisperArgv('whisper', { ...req, model: 'small', outputDir: '/job/tmp/asr' })).toEqual([
      'whisper', '/job/audio/analysis.wav', '--model', 'small', '--language', 'ja', '--task', 'transcribe', '--output_format', 'json',
      '--output_dir', '/job/tmp/asr', '--word_timestamps', 'True', '--no_speech_threshold', '0.6', '--verbose', 'False', '--fp16', 'False',
    ]);
  });

  it('gives whisper-ctranslate2 the same shape plus its VAD filter, and leaves out --language to detect it', () => {
    const argv = whisperArgv('whisper-ctranslate2', { ...req, language: undefined, task: 'translate', model: 'large-v3', outputDir: '/o' });
    expect(argv.slice(0, 2)).toEqual(['whisper-ctranslate2', '/job/audio/analysis.wav']);
    expect(argv).not.toContain('--language');
    expect(argv).not.toContain('--fp16');
    expect(argv.join(' ')).toContain('--task translate');
    expect(argv.join(' ')).toContain('--vad_filter True');
  });

  it('builds whisper-cli with a model file, full JSON (token times) to -of, translate as -tr and auto language', () => {
    expect(whisperCppArgv({ ...req, modelFile: '/m/ggml-small.bin', outputBase: '/job/tmp/asr/whisper' })).toEqual([
      'whisper-cli', '-m', '/m/ggml-small.bin', '-f', '/job/audio/analysis.wav', '-l', 'ja', '-nth', '0.6', '-ojf', '-of', '/job/tmp/asr/whisper', '-np',
    ]);
    const tr = whisperCppArgv({ ...req, language: undefined, task: 'translate', modelFile: 'm.bin', outputBase: 'o' });
    expect(tr.slice(5, 8)).toEqual(['-l', 'auto', '-tr']);
  });

  it('knows where each program writes its JSON', () => {
    expect(whisperJsonPath('/o', '/job/audio/analysis.wav')).toBe('/o/analysis.json');
    expect(whisperCppJsonPath('/o/whisper')).toBe('/o/whisper.json');
  });

  it('accepts exactly the engine names of the asr.engine option', () => {
    expect(['faster-whisper', 'whisper', 'whisper-ctranslate2', 'whisper-cpp'].every(isWhisperEngine)).toBe(true);
    expect(isWhisperEngine('pocketsphinx')).toBe(false);
    expect(isWhisperEngine('auto')).toBe(false);
    const parsed = jobOptionsSchema.parse({ video: 'x.mp4', asr: { engine: 'whisper-cpp', whisperCppModel: '/m.bin' } });
    expect(parsed.asr).toMatchObject({ engine: 'whisper-cpp', model: 'base', noSpeechThreshold: 0.6, detectLanguage: false, whisperCppModel: '/m.bin' });
    expect(jobOptionsSchema.parse({ video: 'x.mp4' }).asr.engine).toBe('auto');
    // A model folder is a model too; a climb out of it is not.
    expect(jobOptionsSchema.safeParse({ video: 'x.mp4', asr: { model: '/models/whisper-small-ct2' } }).success).toBe(true);
    expect(jobOptionsSchema.safeParse({ video: 'x.mp4', asr: { model: 'tiny.en' } }).success).toBe(true);
    expect(jobOptionsSchema.safeParse({ video: 'x.mp4', asr: { model: '../x' } }).success).toBe(false);
    expect(jobOptionsSchema.safeParse({ video: 'x.mp4', asr: { engine: 'vosk' } }).success).toBe(false);
  });
});

describe('Whisper-family adapters: output parsers', () => {
  it('reads openai-whisper JSON: segments with probabilities, trimmed words, the language', () => {
    const r = parseWhisperJson(OPENAI_JSON);
    expect(r.language).toBe('en');
    expect(r.segments.map((s) => [s.start, s.end, s.text])).toEqual([[0.5, 2.1, 'Good morning everyone.'], [3.6, 5.02, 'Thank you very much.']]);
    expect(r.segments[0]).toMatchObject({ noSpeechProb: 0.0123, avgLogprob: -0.2236 });
    expect(r.segments[0].words).toEqual([{ text: 'Good', start: 0.5, end: 0.82 }, { text: 'morning', start: 0.82, end: 1.3 }, { text: 'everyone.', start: 1.3, end: 2.1 }]);
  });

  it('reads whisper-ctranslate2 JSON where a segment has words: null', () => {
    const r = parseWhisperJson(JSON.stringify({ text: ' Hi.', segments: [{ id: 1, start: 0, end: 1, text: ' Hi.', no_speech_prob: 0.1, avg_logprob: -0.3, words: null }], language: 'es' }));
    expect(r.segments[0].words).toEqual([]);
    expect(r.language).toBe('es');
  });

  it('reads whisper-cli JSON: ms offsets to seconds, words rebuilt from tokens without the special ones', () => {
    const r = parseWhisperCppJson(WHISPER_CPP_JSON);
    expect(r.language).toBe('ja');
    expect(r.segments.map((s) => [s.start, s.end, s.text])).toEqual([[0.5, 2.1, 'Good morning, everyone.'], [3.6, 5.02, 'Thank you very much.']]);
    expect(r.segments[0].words).toEqual([{ text: 'Good', start: 0.5, end: 0.82 }, { text: 'morning,', start: 0.82, end: 1.32 }, { text: 'everyone.', start: 1.32, end: 2.1 }]);
    expect(r.segments[1].words).toEqual([]);
    expect(r.segments[0].noSpeechProb).toBeUndefined();
  });

  it('skips tokens without times and ignores <|...|> specials', () => {
    expect(wordsFromTokens([{ text: '<|endoftext|>', offsets: { from: 0, to: 0 } }, { text: ' Hi' }, { text: ' there', offsets: { from: 100, to: 400 } }]))
      .toEqual([{ text: 'there', start: 0.1, end: 0.4 }]);
  });

  it('rejects JSON that is not the engine output', () => {
    expect(() => parseWhisperJson('{"text": "x"}')).toThrow(/segments/);
    expect(() => parseWhisperCppJson('{"result": {}}')).toThrow(/transcription/);
  });
});

describe('hallucination guard', () => {
  const speech = [{ start: 1, end: 3 }, { start: 6, end: 8 }];
  const seg = (start: number, end: number, text: string, noSpeechProb?: number, avgLogprob?: number) => ({ start, end, text, noSpeechProb, avgLogprob });

  it('drops a segment Whisper itself calls silence (no-speech ≥ threshold and avg log-prob < -1), keeps a confident one', () => {
    const { kept, dropped } = guardSegments([seg(1, 3, 'Hello there.', 0.7, -0.2), seg(6, 8, 'Thank you for watching.', 0.9, -1.5)], speech, { noSpeechThreshold: 0.6 });
    expect(kept.map((s) => s.text)).toEqual(['Hello there.']);
    expect(dropped).toEqual([{ start: 6, end: 8, text: 'Thank you for watching.', reason: 'no-speech' }]);
  });

  it('drops the same phrase repeated through a pause, but keeps a repeat that is really spoken', () => {
    const segs = [seg(1, 3, 'Wait!', 0.1, -0.3), seg(3.2, 4.5, 'wait', 0.2, -0.4), seg(6, 8, 'Wait!', 0.1, -0.3)];
    const { kept, dropped } = guardSegments(segs, speech, { noSpeechThreshold: 0.6 });
    expect(kept.map((s) => s.start)).toEqual([1, 6]);
    expect(dropped.map((d) => d.reason)).toEqual(['repeat']);
  });

  it('drops text placed entirely over silence even when Whisper was confident', () => {
    const { dropped } = guardSegments([seg(3.5, 5.5, 'Subtitles by the community.', 0.2, -0.3)], speech, { noSpeechThreshold: 0.6 });
    expect(dropped.map((d) => d.reason)).toEqual(['silence']);
  });

  it('without speech regions, drops only the third and later of a run of one phrase', () => {
    const { kept, dropped } = guardSegments([seg(0, 1, 'Yes.'), seg(1, 2, 'Yes.'), seg(2, 3, 'Yes.'), seg(3, 4, 'No.')], undefined, { noSpeechThreshold: 0.6 });
    expect(kept.map((s) => s.text)).toEqual(['Yes.', 'Yes.', 'No.']);
    expect(countByReason(dropped)).toEqual({ repeat: 1 });
  });

  it('drops empty text and counts reasons', () => {
    const { dropped } = guardSegments([seg(1, 2, ' ... '), seg(1, 2, 'Hi', 0.99, -2)], speech, { noSpeechThreshold: 0.6 });
    expect(countByReason(dropped)).toEqual({ empty: 1, 'no-speech': 1 });
  });

  it('measures overlap with speech and normalizes phrases', () => {
    expect(speechShare(2, 4, speech)).toBeCloseTo(0.5);
    expect(speechShare(4, 5, speech)).toBe(0);
    expect(normalizePhrase('  Thank   you, very much! ')).toBe('thank you very much');
    expect(normalizePhrase('¿Qué? ¡Sí!')).toBe('qué sí');
  });
});

describe('Whisper-family stand-ins accept the argv the adapters build (stand-in)', () => {
  /** 1.5 s tone, 2.5 s silence, 1 s tone, 3 s silence: two lines and two pauses. */
  async function wav(dir: string): Promise<string> {
    const rate = 16000;
    const parts: [number, boolean][] = [[1.5, true], [2.5, false], [1, true], [3, false]];
    const samples: number[] = [];
    for (const [sec, tone] of parts) for (let i = 0; i < sec * rate; i++) samples.push(tone ? Math.round(8000 * Math.sin((2 * Math.PI * 300 * i) / rate)) : 0);
    const pcm = Buffer.alloc(samples.length * 2);
    samples.forEach((s, i) => pcm.writeInt16LE(s, i * 2));
    const file = path.join(dir, 'analysis.wav');
    await writeFile(file, Buffer.concat([wavHeader(rate, 1, 16, pcm.length), pcm]));
    return file;
  }

  it('openai-whisper and whisper-ctranslate2 stand-ins write <stem>.json that the parser reads, with the planted hallucinations', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'whisper-unit-'));
    const audio = await wav(dir);
    for (const engine of ['whisper', 'whisper-ctranslate2'] as const) {
      const out = path.join(dir, engine);
      const [program, ...args] = whisperArgv(engine, { audio, task: 'transcribe', language: 'en', noSpeechThreshold: 0.6, model: 'small', outputDir: out });
      await execa(path.join(STANDINS, program), args);
      const r = parseWhisperJson(await readFile(whisperJsonPath(out, audio), 'utf8'));
      expect(r.segments[0].text).toBe(`${engine} stand-in heard line one.`);
      expect(r.segments[0].words.map((w) => w.text)).toEqual([engine, 'stand-in', 'heard', 'line', 'one.']);
      expect(r.segments[1].text).toBe(r.segments[0].text); // the planted repeat
    }
    const bad = await execa(path.join(STANDINS, 'whisper'), [audio, '--fp16', 'false'], { reject: false });
    expect(bad.exitCode).toBe(2); // openai-whisper's str2bool takes True/False only
  });

  it('whisper-cli stand-in writes <of>.json; an unknown flag exits 0 without JSON, as whisper-cli does', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'whisper-unit-'));
    const audio = await wav(dir);
    const model = path.join(dir, 'ggml-small.bin');
    await writeFile(model, 'not really a model');
    const [program, ...args] = whisperCppArgv({ audio, task: 'transcribe', language: 'en', noSpeechThreshold: 0.6, modelFile: model, outputBase: path.join(dir, 'w') });
    await execa(path.join(STANDINS, program), args);
    const r = parseWhisperCppJson(await readFile(whisperCppJsonPath(path.join(dir, 'w')), 'utf8'));
    expect(r.segments[0].words.map((w) => w.text)).toEqual(['whisper.cpp', 'stand-in', 'heard', 'line', 'one.']);
    const unknown = await execa(path.join(STANDINS, program), ['-m', model, '-f', audio, '-oj', '-of', path.join(dir, 'u'), '--vad-filter'], { reject: false });
    expect(unknown.exitCode).toBe(0);
    expect(unknown.stderr).toContain('error: unknown argument: --vad-filter');
  });
});

describe('Whisper segments split at pauses (lib/pauseSplit.ts)', () => {
  const w = (text: string, start: number, end: number) => ({ text, start, end });
  it('cuts at a sentence end followed by a pause, or at any long pause, never inside speech', () => {
    const seg = { start: 1, end: 6, text: 'Good morning. How are you today', words: [w('Good', 1, 1.3), w('morning.', 1.3, 1.8), w('How', 2.4, 2.6), w('are', 2.6, 2.8), w('you', 2.8, 3), w('today', 4.1, 4.6)] };
    expect(splitAtPauses([seg], 0.45).map((s) => [s.start, s.end, s.text])).toEqual([[1, 1.8, 'Good morning.'], [2.4, 3, 'How are you'], [4.1, 4.6, 'today']]);
    // a short pause without a sentence end stays one line
    expect(splitAtPauses([{ ...seg, words: seg.words.slice(0, 5) }], 0.7)).toHaveLength(1);
  });
  it('joins English words back as written: contractions and punctuation stay attached', () => {
    const seg = { start: 0, end: 4, text: "It's okay. Let's go.", words: [w('It', 0, 0.2), w("'s", 0.2, 0.3), w('okay.', 0.3, 0.8), w('Let', 1.8, 2), w("'s", 2, 2.1), w('go', 2.1, 2.3), w('.', 2.3, 2.4)] };
    expect(splitAtPauses([seg], 0.45).map((s) => s.text)).toEqual(["It's okay.", "Let's go."]);
    expect(joinWords(['I', 'do', "n't", 'know', ','], false)).toBe("I don't know,");
  });
  it('joins Japanese pieces without spaces', () => {
    const seg = { start: 0, end: 4, text: 'おはよう。元気？', words: [w('おは', 0, 0.4), w('よう。', 0.4, 0.9), w('元気', 1.6, 2), w('？', 2, 2.1)] };
    expect(splitAtPauses([seg], 0.45).map((s) => s.text)).toEqual(['おはよう。', '元気？']);
  });
  it('where the diarizer hears one voice on both sides, a pause inside a sentence cuts only at four times the pause (festival line 9)', () => {
    const seg = { start: 31.98, end: 34.82, text: '大丈夫、お店の音がうるさいから。', words: [w('大丈夫、', 31.98, 32.38), w('お店の', 33.32, 33.64), w('音が', 33.64, 33.98), w('うるさいから。', 33.98, 34.82)] };
    expect(splitAtPauses([seg], 0.45)).toHaveLength(2);
    const mei = [{ start: 32.1, end: 32.77, label: 'V3' }, { start: 33.31, end: 34.98, label: 'V3' }];
    expect(splitAtPauses([seg], 0.45, mei)).toEqual([seg]);
    // another voice after the pause, or a pause of 1.8 s: cut as before
    expect(splitAtPauses([seg], 0.45, [mei[0], { ...mei[1], label: 'V2' }])).toHaveLength(2);
    const later = (x: ReturnType<typeof w>, i: number) => (i === 0 ? x : { ...x, start: x.start + 0.9, end: x.end + 0.9 });
    expect(splitAtPauses([{ ...seg, words: seg.words.map(later) }], 0.45, [mei[0], { ...mei[1], start: 34.2, end: 35.9 }])).toHaveLength(2);
  });
});

describe('Whisper line times snapped to the energy edges (lib/speechRegions.ts snapToSpeech)', () => {
  it('takes the edges of the speech a line starts and ends in; a start or end in silence moves inside; a line with no speech keeps its times', () => {
    const speech = [{ start: 1.5, end: 2.7 }, { start: 5.9, end: 7.5 }];
    expect(snapToSpeech([{ start: 1.14, end: 2.54 }, { start: 3, end: 4 }, { start: 5.6, end: 7.9 }], speech))
      .toEqual([{ start: 1.5, end: 2.7 }, { start: 3, end: 4 }, { start: 5.9, end: 7.5 }]);
  });
  it('leaves Whisper’s time where two lines share one stretch of speech', () => {
    const speech = [{ start: 1, end: 5 }];
    expect(snapToSpeech([{ start: 1.2, end: 2.8 }, { start: 3.1, end: 4.6 }], speech)).toEqual([{ start: 1, end: 2.8 }, { start: 3.1, end: 5 }]);
  });
  it('starts a line whose first word only grazes the previous line’s stretch (< 0.15 s of it) with its own next stretch, and ends the previous one before the graze', () => {
    // the festival scene's line 15: Whisper stretched its first syllable back over the 0.5 s pause to 50.64 s
    const speech = [{ start: 48.6, end: 50.709 }, { start: 51.2, end: 53.5 }];
    expect(snapToSpeech([{ start: 48.64, end: 50.64 }, { start: 50.64, end: 54.04 }], speech))
      .toEqual([{ start: 48.6, end: 50.709 }, { start: 51.2, end: 53.5 }]);
    // more than a graze: two lines really share that stretch, Whisper's time stays
    expect(snapToSpeech([{ start: 48.64, end: 50.2 }, { start: 50.3, end: 54.04 }], speech))
      .toEqual([{ start: 48.6, end: 50.2 }, { start: 50.3, end: 53.5 }]);
  });
  it('starts a line whose first word lies mostly past the end of the previous line’s stretch with its own next stretch, however much of the word reaches back (the end likewise)', () => {
    // the festival scene's line 10 on a Zen 4 host: "二" at 34.82-35.54 s, 0.16 s of it in Mei's stretch
    const speech = [{ start: 33.31, end: 34.98 }, { start: 35.55, end: 37.47 }];
    const word = (start: number, end: number) => ({ text: '', start, end });
    const lines = [{ start: 32.02, end: 34.82, words: [word(32.02, 33), word(33, 34.82)] }, { start: 34.82, end: 37.64, words: [word(34.82, 35.54), word(35.54, 37.64)] }];
    expect(snapToSpeech(lines, speech).map((l) => [l.start, l.end])).toEqual([[33.31, 34.82], [35.55, 37.47]]);
    // its first word mostly inside that stretch: the two lines share it, Whisper's time stays
    const sharing = [lines[0], { ...lines[1], words: [word(34.82, 35.0), word(35.54, 37.64)] }];
    expect(snapToSpeech(sharing, speech).map((l) => [l.start, l.end])).toEqual([[33.31, 34.82], [34.82, 37.47]]);
    // the end: the previous line's last word lies mostly before the next line's stretch
    const back = [{ start: 32.02, end: 35.7, words: [word(32.02, 34.9), word(34.9, 35.7)] }, { start: 35.7, end: 37.64, words: [word(35.7, 37.64)] }];
    expect(snapToSpeech(back, speech).map((l) => [l.start, l.end])).toEqual([[33.31, 34.98], [35.7, 37.47]]);
  });
  it('starts a line that begins in silence just after a short stretch no other line has (within 0.3 s) with that stretch, not the one after it', () => {
    // the classroom scene's line 15: a 0.1 s first syllable, then Whisper's start, then the rest of the line
    const speech = [{ start: 49.35, end: 50.94 }, { start: 51.33, end: 51.42 }, { start: 52.16, end: 53.54 }];
    expect(snapToSpeech([{ start: 49.18, end: 50.92 }, { start: 51.54, end: 53.94 }], speech))
      .toEqual([{ start: 49.35, end: 50.94 }, { start: 51.33, end: 53.54 }]);
    // a stretch that ends 0.3 s or more before the line is not its start
    expect(snapToSpeech([{ start: 51.8, end: 53.94 }], speech)).toEqual([{ start: 52.16, end: 53.54 }]);
  });
});

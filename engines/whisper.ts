// The Whisper family: faster-whisper (embedded, in the warm engine host: ./fasterWhisper.ts), openai-whisper and
// whisper-ctranslate2 (same command line and JSON), and whisper.cpp's whisper-cli. Argv builders and JSON parsers
// only; activities/whisperSteps.ts runs them, engines/asrEngines.ts checks them.
import path from 'node:path';
import type { Word } from '../lib/job.js';
import { checkedName } from './argvValues.js';

export type WhisperEngineName = 'faster-whisper' | 'whisper' | 'whisper-ctranslate2' | 'whisper-cpp';
/** The Whisper engines that are programs on PATH (faster-whisper runs inside the engine host). */
export type WhisperProgramEngine = Exclude<WhisperEngineName, 'faster-whisper'>;
export type WhisperTask = 'transcribe' | 'translate';

export const WHISPER_ENGINES: readonly WhisperEngineName[] = ['faster-whisper', 'whisper', 'whisper-ctranslate2', 'whisper-cpp'];

export function isWhisperEngine(name: string): name is WhisperEngineName {
  return (WHISPER_ENGINES as readonly string[]).includes(name);
}

/** The program each engine runs. */
export const WHISPER_PROGRAMS: Record<WhisperProgramEngine, string> = {
  whisper: 'whisper',
  'whisper-ctranslate2': 'whisper-ctranslate2',
  'whisper-cpp': 'whisper-cli',
};

export const WHISPER_INSTALL: Record<WhisperProgramEngine, string> = {
  whisper: 'pip install -U openai-whisper (needs ffmpeg on PATH)',
  'whisper-ctranslate2': 'pip install -U whisper-ctranslate2',
  'whisper-cpp': 'build whisper.cpp (cmake -B build && cmake --build build --config Release) and put build/bin/whisper-cli on PATH',
};

/** Language codes every Whisper model knows (whisper/tokenizer.py LANGUAGES). */
export const WHISPER_LANGUAGES = [
  'en', 'zh', 'de', 'es', 'ru', 'ko', 'fr', 'ja', 'pt', 'tr', 'pl', 'ca', 'nl', 'ar', 'sv', 'it', 'id', 'hi', 'fi', 'vi',
  'he', 'uk', 'el', 'ms', 'cs', 'ro', 'da', 'hu', 'ta', 'no', 'th', 'ur', 'hr', 'bg', 'lt', 'la', 'mi', 'ml', 'cy', 'sk',
  'te', 'fa', 'lv', 'bn', 'sr', 'az', 'sl', 'kn', 'et', 'mk', 'br', 'eu', 'is', 'hy', 'ne', 'mn', 'bs', 'kk', 'sq', 'sw',
  'gl', 'mr', 'pa', 'si', 'km', 'sn', 'yo', 'so', 'af', 'oc', 'ka', 'be', 'tg', 'sd', 'gu', 'am', 'yi', 'lo', 'uz', 'fo',
  'ht', 'ps', 'tk', 'nn', 'mt', 'sa', 'lb', 'my', 'bo', 'tl', 'mg', 'as', 'tt', 'haw', 'ln', 'ha', 'ba', 'jw', 'su', 'yue',
];

export interface WhisperRequest {
  /** 16 kHz mono WAV. */
  audio: string;
  task: WhisperTask;
  /** Spoken language; undefined = let the model detect it. */
  language?: string;
  noSpeechThreshold: number;
}

/**
 * openai-whisper / whisper-ctranslate2. Both take booleans as the words True/False (openai-whisper accepts
 * nothing else). fp16 is off because CPU inference cannot use it (whisper would warn and fall back);
 * whisper-ctranslate2 has no --fp16 (it picks --compute_type itself) but has a Silero VAD that keeps it from
 * decoding long silences, which is where Whisper invents text.
 */
export function whisperArgv(engine: 'whisper' | 'whisper-ctranslate2', req: WhisperRequest & { model: string; outputDir: string }): string[] {
  return [
    WHISPER_PROGRAMS[engine], req.audio,
    '--model', checkedName(req.model, 'modelName', 'the Whisper model'),
    ...(req.language ? ['--language', req.language] : []),
    '--task', req.task,
    '--output_format', 'json',
    '--output_dir', req.outputDir,
    '--word_timestamps', 'True',
    '--no_speech_threshold', String(req.noSpeechThreshold),
    '--verbose', 'False',
    ...(engine === 'whisper' ? ['--fp16', 'False'] : ['--vad_filter', 'True']),
  ];
}

/** Where openai-whisper and whisper-ctranslate2 write their JSON: <output_dir>/<audio stem>.json. */
export function whisperJsonPath(outputDir: string, audio: string): string {
  return path.join(outputDir, `${path.basename(audio, path.extname(audio))}.json`);
}

/**
 * whisper.cpp's whisper-cli: -ojf (full JSON) carries per-token times, from which words are rebuilt.
 * Note that whisper-cli answers an unknown flag by printing its usage and exiting 0, so the caller must treat
 * a missing JSON as the failure.
 */
export function whisperCppArgv(req: WhisperRequest & { modelFile: string; outputBase: string }): string[] {
  return [
    WHISPER_PROGRAMS['whisper-cpp'],
    '-m', req.modelFile,
    '-f', req.audio,
    '-l', req.language ?? 'auto',
    ...(req.task === 'translate' ? ['-tr'] : []),
    '-nth', String(req.noSpeechThreshold),
    '-ojf',
    '-of', req.outputBase,
    '-np',
  ];
}

export function whisperCppJsonPath(outputBase: string): string {
  return `${outputBase}.json`;
}

/** One recognized segment, times in seconds from the start of the audio given to the engine. */
export interface AsrSegment {
  start: number;
  end: number;
  text: string;
  /** Whisper's probability that the window held no speech (openai-whisper, whisper-ctranslate2). */
  noSpeechProb?: number;
  avgLogprob?: number;
  words: Word[];
}

export interface AsrResult {
  /** The language the engine says it heard (or was told). */
  language?: string;
  segments: AsrSegment[];
}

export interface WhisperJson {
  language?: string;
  segments?: {
    start: number; end: number; text: string;
    no_speech_prob?: number; avg_logprob?: number;
    words?: { word: string; start: number; end: number }[];
  }[];
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** openai-whisper / whisper-ctranslate2 JSON (`result` of transcribe(), as their json writer dumps it). */
export function parseWhisperJson(text: string): AsrResult {
  return fromWhisperJson(JSON.parse(text) as WhisperJson);
}

/** The same shape as an object (the engine host answers with it). */
export function fromWhisperJson(json: WhisperJson): AsrResult {
  if (!Array.isArray(json.segments)) throw new Error('no "segments" array');
  return {
    language: json.language ?? undefined,
    segments: json.segments.map((s) => ({
      start: round3(s.start),
      end: round3(s.end),
      text: s.text.trim(),
      noSpeechProb: s.no_speech_prob,
      avgLogprob: s.avg_logprob,
      words: (s.words ?? [])
        .map((w) => ({ text: w.word.trim(), start: round3(w.start), end: round3(w.end) }))
        .filter((w) => w.text.length > 0),
    })),
  };
}

interface WhisperCppJson {
  result?: { language?: string };
  transcription?: {
    offsets: { from: number; to: number };
    text: string;
    tokens?: { text: string; offsets?: { from: number; to: number } }[];
  }[];
}

/** Special tokens ([_BEG_], [_TT_150], <|endoftext|>) carry no text. */
const isSpecialToken = (t: string) => /^\s*(\[_[A-Z0-9_]*\]|<\|.*\|>)\s*$/.test(t);

/** Tokens → words: a token that starts with a space starts a word; the others (pieces, punctuation) extend it. */
export function wordsFromTokens(tokens: readonly { text: string; offsets?: { from: number; to: number } }[]): Word[] {
  const words: Word[] = [];
  for (const t of tokens) {
    if (!t.offsets || isSpecialToken(t.text) || t.text.length === 0) continue;
    const start = t.offsets.from / 1000;
    const end = t.offsets.to / 1000;
    const last = words[words.length - 1];
    if (last && !/^\s/.test(t.text)) {
      last.text += t.text;
      last.end = round3(Math.max(last.end, end));
    } else {
      const text = t.text.trim();
      if (text) words.push({ text, start: round3(start), end: round3(end) });
    }
  }
  return words;
}

/** whisper-cli -oj / -ojf JSON: offsets in milliseconds. */
export function parseWhisperCppJson(text: string): AsrResult {
  const json = JSON.parse(text) as WhisperCppJson;
  if (!Array.isArray(json.transcription)) throw new Error('no "transcription" array');
  return {
    language: json.result?.language || undefined,
    segments: json.transcription.map((s) => ({
      start: round3(s.offsets.from / 1000),
      end: round3(s.offsets.to / 1000),
      text: s.text.trim(),
      words: wordsFromTokens(s.tokens ?? []),
    })),
  };
}

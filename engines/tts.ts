// The embedded speech synthesizers: espeak-ng (any language) and festival (English, HTS voice); piper, Kokoro and
// Coqui XTTS live in ./piper.ts, ./kokoro.ts and ./xtts.ts, and every engine's record in ./ttsEngines.ts. Text goes through stdin where the program allows it, so a line
// that starts with "-" is never read as a flag.
import { clipJobsArgv, MIX_RATE } from './ffmpeg.js';
import { checkedName, checkedNumber } from './argvValues.js';

export type { TtsEngineName } from '../config/ttsEngineNames.js';

export const FESTIVAL_DEFAULT_VOICE = 'cmu_us_slt_arctic_hts';

/** `pitch`: espeak-ng's -p (0–99, its default 50), for generated test and bench voices. */
export function espeakArgv(out: string, voice: string, wordsPerMinute: number, pitch?: number): string[] {
  const wpm = Math.round(checkedNumber(wordsPerMinute, 20, 2000, 'espeak-ng words per minute'));
  const p = pitch === undefined ? [] : ['-p', String(Math.round(checkedNumber(pitch, 0, 99, 'espeak-ng pitch')))];
  return ['espeak-ng', '-v', checkedName(voice, 'espeakVoice', 'the espeak-ng voice'), ...p, '-s', String(wpm), '-w', out, '--stdin'];
}

export function festivalArgv(out: string, voice = FESTIVAL_DEFAULT_VOICE): string[] {
  // The voice goes inside a Scheme expression festival evaluates: only a plain symbol may get there.
  return ['text2wave', '-eval', `(voice_${checkedName(voice, 'festivalVoice', 'the festival voice')})`, '-o', out];
}

/** espeak-ng --voices=LANG lists voices whose language starts with LANG; the header line is skipped. */
export function espeakHasLanguage(listing: string, language: string): boolean {
  return listing.split('\n').slice(1).some((row) => {
    const lang = row.trim().split(/\s+/)[1] ?? '';
    return lang === language || lang.startsWith(`${language}-`);
  });
}

/** espeak-ng voice variants handed to the second, third… speaker (the first keeps the plain voice). */
export const ESPEAK_VARIANTS = ['f2', 'm3', 'f4', 'm1', 'f3', 'm5', 'f1', 'm7', 'f5', 'm2', 'm4', 'm6'];

/** A pitch shift that keeps the duration: resample to move pitch, atempo back. */
export function pitchShiftFilters(factor: number): string[] {
  checkedNumber(factor, 0.25, 4, 'the pitch factor');
  return [`asetrate=${Math.round(MIX_RATE * factor)}`, `aresample=${MIX_RATE}`, `atempo=${(1 / factor).toFixed(5)}`];
}

export function pitchShiftArgv(input: string, output: string, factor: number): string[] {
  return clipJobsArgv([{ input, filters: pitchShiftFilters(factor), output }]);
}

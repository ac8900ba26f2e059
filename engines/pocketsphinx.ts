// pocketsphinx (Debian's 5prealpha) in batch mode: one model load for every utterance of the job.
import type { Word } from '../lib/job.js';

export const POCKETSPHINX_MODEL_DIR = '/usr/share/pocketsphinx/model/en-us';
/** Languages the installed models cover. */
export const POCKETSPHINX_LANGUAGES = ['en'];
const FRAME_SEC = 0.01;

export function batchArgv(ctlFile: string, segmentDir: string, hypsegOut: string, modelDir = POCKETSPHINX_MODEL_DIR): string[] {
  return [
    'pocketsphinx_batch',
    '-adcin', 'yes', '-cepdir', segmentDir, '-cepext', '.wav', '-ctl', ctlFile,
    '-hmm', `${modelDir}/en-us`, '-lm', `${modelDir}/en-us.lm.bin`, '-dict', `${modelDir}/cmudict-en-us.dict`,
    '-hypseg', hypsegOut, '-logfn', '/dev/null',
  ];
}

const FILLERS = new Set(['<s>', '</s>', '<sil>', '[noise]', '[NOISE]', '++noise++']);

/**
 * Parse a hypseg file: `id S s T t A a L l  sf ascr lscr WORD sf ascr lscr WORD ... endFrame`.
 * Returns words per utterance id, times in seconds relative to the utterance.
 */
export function parseHypseg(text: string): Map<string, Word[]> {
  const out = new Map<string, Word[]>();
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 9 || f[1] !== 'S') continue;
    const id = f[0];
    const body = f.slice(9); // after "S s T t A a L l"
    const tokens: { frame: number; word: string }[] = [];
    for (let i = 0; i + 3 < body.length; i += 4) tokens.push({ frame: Number(body[i]), word: body[i + 3] });
    const endFrame = Number(body[body.length - 1]);
    const words: Word[] = [];
    tokens.forEach((t, i) => {
      const next = i + 1 < tokens.length ? tokens[i + 1].frame : endFrame;
      const bare = t.word.replace(/\(\d+\)$/, '');
      if (FILLERS.has(bare) || bare.startsWith('<') || bare.startsWith('[') || bare.startsWith('+')) return;
      words.push({ text: bare, start: t.frame * FRAME_SEC, end: next * FRAME_SEC });
    });
    out.set(id, words);
  }
  return out;
}

/** Recognized words → the line's text (pocketsphinx gives lower case; the first letter is raised). */
export function wordsToText(words: readonly Word[]): string {
  const text = words.map((w) => w.text).join(' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

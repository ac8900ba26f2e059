// apertium: rule-based MT, one pipeline per language pair (`apertium -l` lists the installed ones).
import { toIso3 } from '../lib/languages.js';

export function pairName(src: string, tgt: string): string {
  return `${toIso3(src)}-${toIso3(tgt)}`;
}

export const listPairsArgv = ['apertium', '-l'];

export function parsePairs(listing: string): string[] {
  return listing.split('\n').map((s) => s.trim()).filter((s) => /^[a-z]{2,3}(_\w+)?-[a-z]{2,3}(_\w+)?$/.test(s));
}

/**
 * -u drops the `*` apertium puts before unknown words (they pass through untranslated).
 * Input goes in a file: the apertium script opens /dev/stdin by name, which fails on a socket stdin.
 */
export function translateArgv(pair: string, inputFile: string): string[] {
  return ['apertium', '-u', '-f', 'txt', pair, inputFile];
}

/**
 * Lines travel one per text line; each is closed with a sentence end so rules never join two lines.
 * Returns undefined when the output does not have one line per input line (the caller then goes line by line).
 */
export function splitTranslation(output: string, count: number): string[] | undefined {
  const lines = output.replace(/\n+$/, '').split('\n');
  return lines.length === count ? lines.map((l) => l.trim()) : undefined;
}

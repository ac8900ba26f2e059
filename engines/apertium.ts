// apertium: rule-based MT, one pipeline per language pair (`apertium -l` lists the installed ones).
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { toIso3 } from '../lib/languages.js';
import { run } from './run.js';
import { checkedName } from './argvValues.js';

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
  return ['apertium', '-u', '-f', 'txt', checkedName(pair, 'apertiumPair', 'the apertium pair'), inputFile];
}

/**
 * Lines travel one per text line; each is closed with a sentence end so rules never join two lines.
 * Returns undefined when the output does not have one line per input line (the caller then goes line by line).
 */
export function splitTranslation(output: string, count: number): string[] | undefined {
  const lines = output.replace(/\n+$/, '').split('\n');
  return lines.length === count ? lines.map((l) => l.trim()) : undefined;
}

/** Translates lines with an installed pair; files go to workDir, the command to recordTo (the job's command log). */
export function apertiumTranslator(pair: string, workDir: string, recordTo: string): (texts: string[]) => Promise<string[]> {
  return async (texts) => {
    await mkdir(workDir, { recursive: true });
    const translate = async (text: string, name: string) => {
      const file = path.join(workDir, name);
      await writeFile(file, text + '\n');
      return (await run(translateArgv(pair, file), { timeoutMs: 10 * 60_000, recordTo })).stdout;
    };
    // A line already ending in punctuation keeps it; others get a full stop so no rule spans two lines.
    const closed = texts.map((t) => (/[.!?…]$/.test(t) ? t : `${t}.`));
    const whole = splitTranslation(await translate(closed.join('\n'), 'lines.txt'), texts.length);
    const joined = whole ?? (await Promise.all(closed.map(async (t, i) => (await translate(t, `line-${i}.txt`)).trim())));
    return joined.map((t, i) => (/[.!?…]$/.test(texts[i]) ? t : t.replace(/\.$/, '')));
  };
}

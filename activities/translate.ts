// Target lines: apertium, an imported translation, or identity (--no-translate).
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pairName, splitTranslation, translateArgv } from '../engines/apertium.js';
import type { Line, PreparedJob, TranslatedLine } from '../lib/job.js';
import { readSubtitleFile } from './asr.js';
import { commandLog, hashOf, inJob, isFresh, writeAtomic } from './artifacts.js';
import { run } from './run.js';

const TRANSLATED = 'translated.json';

async function apertium(pair: string, texts: string[], workDir: string, recordTo: string): Promise<string[]> {
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
}

/** Pair imported target cues with source lines: by index when the counts match, else each cue is a line. */
function pairImported(source: Line[], target: Line[]): TranslatedLine[] {
  if (source.length === target.length) return source.map((l, i) => ({ ...l, target: target[i].text }));
  return target.map((t, index) => {
    const overlapping = source.filter((s) => s.start < t.end && s.end > t.start).map((s) => s.text);
    return { index, start: t.start, end: t.end, text: overlapping.join(' '), target: t.text };
  });
}

export async function translateLines(prep: PreparedJob, lines: Line[]): Promise<TranslatedLine[]> {
  const { job, options } = prep;
  const out = inJob(job, TRANSLATED);
  const importedStat = options.translatedSubs ? await stat(options.translatedSubs) : undefined;
  const hash = hashOf('translate', lines, options.src, options.tgt, options.translate, options.mt, options.translatedSubs, importedStat?.mtimeMs);
  if (await isFresh(job, out, hash)) return (JSON.parse(await readFile(out, 'utf8')) as { lines: TranslatedLine[] }).lines;

  let translated: TranslatedLine[];
  let method: string;
  if (lines.length === 0) {
    translated = [];
    method = 'none (no lines)';
  } else if (options.translatedSubs) {
    translated = pairImported(lines, await readSubtitleFile(options.translatedSubs, '--translated-subs'));
    method = `subtitles:${path.basename(options.translatedSubs)}`;
  } else if (!options.translate || options.src === options.tgt) {
    translated = lines.map((l) => ({ ...l, target: l.text }));
    method = 'identity';
  } else {
    const pair = pairName(options.src, options.tgt);
    const targets = await apertium(pair, lines.map((l) => l.text), inJob(job, 'tmp/mt'), commandLog(job));
    translated = lines.map((l, i) => ({ ...l, target: targets[i] }));
    method = `apertium:${pair}`;
  }
  const language = options.translate ? options.tgt : options.src;
  await writeAtomic(job, out, JSON.stringify({ language, method, lines: translated }, null, 2), hash);
  return translated;
}

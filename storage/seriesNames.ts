// A series' names beside its cast: <series folder>/names.tsv, `source<TAB>spelling` per line (the glossary format, so a
// person can fix a spelling or give a kanji name its reading: 大地<TAB>Daichi). Each episode adds the names it found
// and never changes one already there: the first spelling holds for the whole series. Updated under the cast's lock.
import { lstat, readFile } from 'node:fs/promises';
import path from 'node:path';
import { ErrorType, failure } from '../lib/errors.js';
import { GlossaryError, parseGlossary, type GlossaryEntry } from '../lib/glossary.js';
import { oneLine } from '../lib/llmProtocol.js';
import { replaceNoFollow } from '../engines/noFollow.js';
import { readCast, withCastLock, type LockOptions } from './seriesCast.js';

export const NAMES_FILE = 'names.tsv';
/** More names than a series has; a file past this is not ours to grow. */
const MAX_NAMES = 2000;

/** The series' names (none when no episode has stored any yet). */
export async function readSeriesNames(dir: string): Promise<GlossaryEntry[]> {
  const file = path.join(dir, NAMES_FILE);
  const st = await lstat(file).catch(() => undefined);
  if (!st) return [];
  if (!st.isFile()) throw failure(ErrorType.OutputNotWritable, `${file} is not a plain file`);
  try {
    return parseGlossary(await readFile(file, 'utf8'), file);
  } catch (e) {
    if (e instanceof GlossaryError) throw failure(ErrorType.InvalidConfig, `${e.message}; fix or remove it`);
    throw e;
  }
}

const HEADER = '# Names of this series: as written<TAB>as spelled in translations. Added by each episode; edit to fix a spelling.\n';

/**
 * Under the series' lock: reads its names and cast speakers, lets `find` name this episode's names from them, adds
 * those not stored yet (by their written form; the stored spelling wins) and returns what `find` returned.
 */
export async function updateSeriesNames<T>(dir: string, o: LockOptions, find: (stored: GlossaryEntry[], castSpeakers: string[]) => { keep: readonly GlossaryEntry[]; result: T }): Promise<T> {
  return withCastLock(dir, o, async () => {
    const stored = await readSeriesNames(dir);
    const { keep, result } = find(stored, (await readCast(dir)).entries.map((e) => e.speaker));
    const known = new Set(stored.map((e) => e.source.toLowerCase()));
    const fresh: GlossaryEntry[] = [];
    for (const e of keep) {
      // One line per name, two columns: a tab or line break inside a name would add a column or a line.
      const source = oneLine(e.source).replace(/\t/g, ' ');
      const target = oneLine(e.target).replace(/\t/g, ' ');
      if (!source || !target || source.startsWith('#') || known.has(source.toLowerCase())) continue;
      known.add(source.toLowerCase());
      fresh.push({ source, target });
    }
    fresh.splice(Math.max(0, MAX_NAMES - stored.length));
    if (fresh.length) await replaceNoFollow(path.join(dir, NAMES_FILE), HEADER + [...stored, ...fresh].map((e) => `${e.source}\t${e.target}`).join('\n') + '\n');
    return result;
  });
}

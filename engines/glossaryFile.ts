// The --glossary file read and checked (a bad one is InvalidConfig naming the file and line): the MT engines'
// availability check and the translate activity both load it, so it lives below both.
import { readFile } from 'node:fs/promises';
import { ErrorType, failure } from '../lib/errors.js';
import { GlossaryError, parseGlossary, type GlossaryEntry } from '../lib/glossary.js';

export async function loadGlossary(file: string | undefined): Promise<{ entries: GlossaryEntry[]; text: string }> {
  if (!file) return { entries: [], text: '' };
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw failure(ErrorType.InvalidConfig, `--glossary ${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    return { entries: parseGlossary(text, `--glossary ${file}`), text };
  } catch (e) {
    if (e instanceof GlossaryError) throw failure(ErrorType.InvalidConfig, e.message);
    throw e;
  }
}

// The --glossary file read and checked (a bad one is InvalidConfig naming the file and line): the MT engines'
// availability check and the translate activity both load it, so it lives below both.
import { ErrorType, failure } from '../lib/errors.js';
import { readNamedFile } from './namedFile.js';
import { GlossaryError, parseGlossary, type GlossaryEntry } from '../lib/glossary.js';

/** A glossary is a list of names and terms: 1 MB is tens of thousands of them. */
export const MAX_GLOSSARY_BYTES = 1024 * 1024;

export async function loadGlossary(file: string | undefined): Promise<{ entries: GlossaryEntry[]; text: string }> {
  if (!file) return { entries: [], text: '' };
  const text = (await readNamedFile(file, { flag: '--glossary', maxBytes: MAX_GLOSSARY_BYTES, type: ErrorType.InvalidConfig })).toString('utf8');
  try {
    return { entries: parseGlossary(text, `--glossary ${file}`), text };
  } catch (e) {
    if (e instanceof GlossaryError) throw failure(ErrorType.InvalidConfig, e.message);
    throw e;
  }
}

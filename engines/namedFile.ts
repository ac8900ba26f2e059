// Files a job names (--subs, --translated-subs, --glossary) are untrusted: read only when they are regular
// files under a size cap. The file is opened without blocking (a FIFO would hold an activity slot forever) and
// checked on the open descriptor, so what is read is what was checked (no swap between a stat and a read).
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { failure, type ErrorTypeName } from '../lib/errors.js';

export interface NamedFileRules {
  /** How messages name it: `--glossary`, `--subs`. */
  flag: string;
  maxBytes: number;
  /** The typed failure a refusal is (InvalidConfig for a glossary, InvalidSubtitles for subtitles). */
  type: ErrorTypeName;
}

const mb = (n: number) => (n < 1048576 ? `${Math.ceil(n / 1024)} KB` : `${(n / 1048576).toFixed(1)} MB`);

/** The whole file, or a typed non-retryable refusal naming the file and why (never its content). */
export async function readNamedFile(file: string, rules: NamedFileRules): Promise<Buffer> {
  const name = path.basename(file);
  let fh;
  try {
    fh = await open(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw failure(rules.type, code === 'ENOENT' ? `${rules.flag} file not found: ${file}` : `${rules.flag} ${file} cannot be read (${code ?? 'error'})`);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw failure(rules.type, `${rules.flag} ${name} is not a regular file (a device, pipe or folder cannot be read as one)`);
    if (st.size > rules.maxBytes) throw failure(rules.type, `${rules.flag} ${name} is ${mb(st.size)}; it may be at most ${mb(rules.maxBytes)}`);
    // Read at most one byte past its size: a file growing meanwhile is refused too, not read without end.
    const buf = Buffer.alloc(st.size + 1);
    let got = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, got, buf.length - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
      if (got > st.size) throw failure(rules.type, `${rules.flag} ${name} grew while it was read; give a file that is not being written`);
    }
    return buf.subarray(0, got);
  } finally {
    await fh.close();
  }
}

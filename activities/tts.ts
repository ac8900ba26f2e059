// Speech for one line: the engine's raw output, then trimmed of edge silence and made 48 kHz stereo.
import { mkdir, open, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { normalizeClipArgv } from '../engines/ffmpeg.js';
import { espeakArgv, festivalArgv } from '../engines/tts.js';
import type { Clip, PreparedJob, TranslatedLine } from '../lib/job.js';
import { parseWavHeader, wavDurationSec } from '../lib/wav.js';
import { commandLog, commit, hashOf, inJob, isFresh, tmpOf } from './artifacts.js';
import { run } from './run.js';

export const pad4 = (n: number) => String(n).padStart(4, '0');

export async function wavFileDuration(abs: string): Promise<number> {
  const size = (await stat(abs)).size;
  const fh = await open(abs, 'r');
  try {
    const head = Buffer.alloc(Math.min(65536, size));
    await fh.read(head, 0, head.length, 0);
    return wavDurationSec(parseWavHeader(head, size));
  } finally {
    await fh.close();
  }
}

export async function synthesizeLine(prep: PreparedJob, line: TranslatedLine): Promise<Clip> {
  const { job, options, ttsEngine } = prep;
  const rel = `tts/${pad4(line.index)}.wav`;
  const out = inJob(job, rel);
  const language = options.translate ? options.tgt : options.src;
  const voice = options.tts.voice ?? language;
  const hash = hashOf('tts', ttsEngine, voice, options.tts.espeakSpeed, line.target);
  if (await isFresh(job, out, hash)) return { index: line.index, path: rel, durationSec: await wavFileDuration(out), reused: true };

  await mkdir(path.dirname(out), { recursive: true });
  const raw = inJob(job, `tmp/tts/${pad4(line.index)}.raw.wav`);
  await mkdir(path.dirname(raw), { recursive: true });
  const argv = ttsEngine === 'festival' ? festivalArgv(raw, options.tts.voice) : espeakArgv(raw, voice, options.tts.espeakSpeed);
  const log = commandLog(job);
  await run(argv, { input: line.target + '\n', timeoutMs: 120_000, recordTo: log });
  await run(normalizeClipArgv(raw, tmpOf(out)), { timeoutMs: 60_000, recordTo: log });
  await commit(job, tmpOf(out), out, hash);
  await rm(raw, { force: true });
  return { index: line.index, path: rel, durationSec: await wavFileDuration(out), reused: false };
}

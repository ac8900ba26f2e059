// Speech for one line: the engine's raw output, then trimmed of edge silence and made 48 kHz stereo.
import { mkdir, open, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { normalizeClipArgv } from '../engines/ffmpeg.js';
import { espeakArgv, festivalArgv } from '../engines/tts.js';
import type { Clip, PreparedJob, TranslatedLine } from '../lib/job.js';
import { parseWavHeader, wavDurationSec } from '../lib/wav.js';
import { parseEmotionTag, type ProsodyPlan } from '../lib/prosody.js';
import { commandLog, commit, hashOf, inJob, isFresh, tmpOf, writeAtomic } from './artifacts.js';
import { applyProsody, expressiveEngineArgv } from './expressiveApply.js';
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

/** `plan` is present only with expressive prosody on; without it this is exactly the plain synthesis. */
export async function synthesizeLine(prep: PreparedJob, line: TranslatedLine, plan?: ProsodyPlan): Promise<Clip> {
  const { job, options, ttsEngine } = prep;
  const rel = `tts/${pad4(line.index)}.wav`;
  const out = inJob(job, rel);
  const language = options.translate ? options.tgt : options.src;
  const voice = options.tts.voice ?? language;
  const hash = plan
    ? hashOf('tts', ttsEngine, voice, options.tts.espeakSpeed, line.target, plan)
    : hashOf('tts', ttsEngine, voice, options.tts.espeakSpeed, line.target);
  if (await isFresh(job, out, hash)) return { index: line.index, path: rel, durationSec: await wavFileDuration(out), reused: true };

  await mkdir(path.dirname(out), { recursive: true });
  const raw = inJob(job, `tmp/tts/${pad4(line.index)}.raw.wav`);
  await mkdir(path.dirname(raw), { recursive: true });
  const log = commandLog(job);
  if (!plan) {
    const argv = ttsEngine === 'festival' ? festivalArgv(raw, options.tts.voice) : espeakArgv(raw, voice, options.tts.espeakSpeed);
    await run(argv, { input: line.target + '\n', timeoutMs: 120_000, recordTo: log });
    await run(normalizeClipArgv(raw, tmpOf(out)), { timeoutMs: 60_000, recordTo: log });
  } else {
    // A leading [happy]/[sad]/[angry]/[calm] is direction, not text to speak.
    const text = parseEmotionTag(line.target).text;
    const engine = expressiveEngineArgv(ttsEngine, raw, voice, options.tts.espeakSpeed, options.tts.voice, plan);
    await run(engine.argv, { input: text + '\n', timeoutMs: 120_000, recordTo: log });
    const normalized = inJob(job, `tmp/tts/${pad4(line.index)}.norm.wav`);
    await run(normalizeClipArgv(raw, normalized), { timeoutMs: 60_000, recordTo: log });
    const reference = {
      key: `${ttsEngine}-${voice}`,
      argvFor: (o: string) => (ttsEngine === 'festival' ? festivalArgv(o, options.tts.voice) : espeakArgv(o, voice, options.tts.espeakSpeed)),
    };
    const applied = await applyProsody(prep, normalized, out, plan, engine.tempoLeft, reference);
    await rm(normalized, { force: true });
    if (options.expressive.debug) {
      const how = { rate: engine.rateApplied, ...applied, pause: plan.pauseMs > 0 ? `${plan.pauseMs} ms kept before the next line when the line fits with it (timing fit)` : 'none' };
      await writeAtomic(job, inJob(job, `expressive/plans/${pad4(line.index)}.json`), JSON.stringify({ ...plan, text: { source: line.text, target: line.target, spoken: text }, applied: how }, null, 2));
    }
  }
  await commit(job, tmpOf(out), out, hash);
  await rm(raw, { force: true });
  return { index: line.index, path: rel, durationSec: await wavFileDuration(out), reused: false };
}

// pocketsphinx recognition of one 16 kHz mono WAV: utterances cut where ffmpeg hears silence, recognized in one
// pocketsphinx_batch (a few in parallel for long inputs). Its record: ./asrEngines.ts; argv and parsing: ./pocketsphinx.ts.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import type { Line, Word } from '../lib/job.js';
import { parseSilencedetect, speechRegions, type Region } from '../lib/speechRegions.js';
import { wavHeader } from '../lib/wav.js';
import type { AsrRequest, Recognition } from './asrRun.js';
import { silencedetectArgv } from './ffmpeg.js';
import { batchArgv, parseHypseg, wordsToText } from './pocketsphinx.js';
import { run } from './run.js';
import { withWav } from './wavFile.js';

/** Context kept around each utterance so the recognizer hears its onset and release. */
const PAD_SEC = 0.15;

/** Cut each region out of the 16 kHz mono WAV into its own file (positional reads: no full load). */
async function cutSegments(wavAbs: string, regions: Region[], dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  return withWav(wavAbs, async ({ fmt, totalFrames, readFrames }) => {
    const ids: string[] = [];
    for (const [i, r] of regions.entries()) {
      const from = Math.max(0, Math.floor((r.start - PAD_SEC) * fmt.sampleRate));
      const to = Math.min(totalFrames, Math.ceil((r.end + PAD_SEC) * fmt.sampleRate));
      const pcm = await readFrames(from, to - from);
      const id = `u${String(i).padStart(4, '0')}`;
      await writeFile(path.join(dir, `${id}.wav`), Buffer.concat([wavHeader(fmt.sampleRate, fmt.channels, fmt.bitsPerSample, pcm.length), pcm]));
      ids.push(id);
    }
    return ids;
  });
}

/** Below this much speech a second recognizer costs more (its own model load, ~0.4 s) than it saves. */
const MIN_SPEECH_PER_PIECE_SEC = 10;

/**
 * Contiguous pieces of the segment list with about equal speech each: one per core, and only when each piece
 * has at least MIN_SPEECH_PER_PIECE_SEC of speech (short inputs and streaming chunks stay one piece).
 */
export function recognitionPieces(durations: readonly number[], cores: number): number[][] {
  const total = durations.reduce((s, d) => s + d, 0);
  const count = Math.max(1, Math.min(cores, Math.floor(total / MIN_SPEECH_PER_PIECE_SEC), durations.length));
  const pieces: number[][] = Array.from({ length: count }, () => []);
  let acc = 0;
  durations.forEach((d, i) => {
    const k = Math.min(count - 1, Math.floor(((acc + d / 2) * count) / total));
    pieces[k].push(i);
    acc += d;
  });
  return pieces.filter((p) => p.length > 0);
}

/**
 * pocketsphinx_batch over the segments: one process for short inputs; for long ones, one process per piece,
 * all at once (pocketsphinx uses one core; each piece loads the model itself). Every process is awaited before
 * a failure is reported, so none is left running.
 */
async function recognizeSegments(ids: string[], regions: Region[], workDir: string, log: string): Promise<Map<string, Word[]>> {
  const segDir = path.join(workDir, 'segments');
  const pieces = recognitionPieces(regions.map((r) => r.end - r.start + 2 * PAD_SEC), availableParallelism());
  const names = pieces.length === 1 ? [''] : pieces.map((_, k) => `.${k}`);
  const settled = await Promise.allSettled(pieces.map(async (piece, k) => {
    const ctl = path.join(workDir, `segments${names[k]}.ctl`);
    await writeFile(ctl, piece.map((i) => ids[i]).join('\n') + '\n');
    const hypseg = path.join(workDir, `segments${names[k]}.hypseg`);
    await run(batchArgv(ctl, segDir, hypseg), { timeoutMs: 60 * 60_000, recordTo: log });
    return parseHypseg(await readFile(hypseg, 'utf8'));
  }));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return new Map(settled.flatMap((s) => [...(s as PromiseFulfilledResult<Map<string, Word[]>>).value]));
}

/** Energy-cut utterances, recognized in one pocketsphinx batch (a few in parallel for long inputs). */
export async function recognizeWithPocketsphinx(req: AsrRequest): Promise<Recognition> {
  const { options } = req.prep;
  const { wavAbs: analysisAbs, durationSec, workDir } = req;
  const log = req.commandLog;
  const { stderr } = await run(silencedetectArgv(analysisAbs, options.asr.silenceDb, options.asr.minSilenceSec), { timeoutMs: 10 * 60_000, recordTo: log });
  const regions = speechRegions(parseSilencedetect(stderr), durationSec, options.asr.minSpeechSec);
  if (regions.length === 0) return { lines: [], engine: 'pocketsphinx', dropped: [], warnings: [] };

  await rm(workDir, { recursive: true, force: true });
  const ids = await cutSegments(analysisAbs, regions, path.join(workDir, 'segments'));
  const words = await recognizeSegments(ids, regions, workDir, log);

  const lines: Line[] = [];
  regions.forEach((r, i) => {
    const offset = Math.max(0, r.start - PAD_SEC);
    const ws = (words.get(ids[i]) ?? []).map((w) => ({ text: w.text, start: round3(offset + w.start), end: round3(offset + w.end) }));
    if (ws.length === 0) return; // a cough or a door: nothing to dub
    lines.push({ index: lines.length, start: round3(r.start), end: round3(r.end), text: wordsToText(ws), words: ws });
  });
  return { lines, engine: 'pocketsphinx', dropped: [], warnings: [] };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

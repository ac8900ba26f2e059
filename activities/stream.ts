// Streaming activities: plan the chunks, cut one, mux it (MP4 + HLS segment), fall back to the original audio
// when a chunk fails, publish the manifest and playlist, and stitch the final file.
import { mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ANALYSIS_RATE, extractSubtitleArgv, MIX_RATE, silencedetectArgv } from '../engines/ffmpeg.js';
import { concatArgv, concatEntry, cutAudioArgv, cutVideoArgv, muxChunkArgv, parseVideoPackets, sec, segmentArgv, videoPacketsArgv } from '../engines/ffmpegStream.js';
import { planChunks, videoTimeline, type Chunk } from '../lib/chunkPlan.js';
import { ErrorType, failure } from '../lib/errors.js';
import type { AudioTracks, Line, PreparedJob } from '../lib/job.js';
import { containerLanguage, dubLanguage } from '../lib/languages.js';
import { parseSilencedetect } from '../lib/speechRegions.js';
import { MANIFEST_VERSION, playlist, type ChunkEntry, type StreamManifest } from '../lib/streamManifest.js';
import { readSubtitleFile } from './importSubtitles.js';
import { recognizeLines, saveTranscript } from './transcribe.js';
import { commandLog, commit, hashOf, inJob, isFresh, tmpOf, writeAtomic } from '../storage/artifacts.js';
import { encodedDubHash, ENCODED_DUB } from './mux.js';
import { pickSubtitleStream, subsSource } from './subtitleSource.js';
import { run } from '../engines/run.js';
import { ORIGINAL_MIX_WAV, STREAM_FINAL, STREAM_MANIFEST, STREAM_PLAYLIST } from '../lib/artifactNames.js';

const pad3 = (n: number) => String(n).padStart(3, '0');
export const chunkName = (index: number) => `chunk_${pad3(index)}`;
/** Video codecs an MP4 and an MPEG-TS segment can both carry as they are. */
const COPYABLE = new Set(['h264', 'hevc']);

/**
 * Resilience testing hook: DUB_INJECT_FAILURE="cutChunk:2" makes that activity fail for chunk 2 on every
 * attempt, as a broken chunk would. Read on the worker; never part of a job's input.
 */
function injectedFailure(activity: string, index: number): void {
  const spec = process.env.DUB_INJECT_FAILURE ?? '';
  if (spec.split(',').map((s) => s.trim()).includes(`${activity}:${index}`)) {
    throw failure(ErrorType.EngineFailed, `injected failure (DUB_INJECT_FAILURE) in ${activity} for chunk ${index}`);
  }
}

export async function planStream(prep: PreparedJob, audio: AudioTracks): Promise<Chunk[]> {
  const { job, options, media } = prep;
  const log = commandLog(job);
  const { stderr } = await run(silencedetectArgv(inJob(job, audio.analysis), options.asr.silenceDb, 0.3), { timeoutMs: 10 * 60_000, recordTo: log });
  // Every frame's exact time (boundaries fall on frames) and, for codecs a chunk can copy, the clean keyframes.
  const timeline = videoTimeline(parseVideoPackets((await run(videoPacketsArgv(media.path), { timeoutMs: 10 * 60_000, recordTo: log })).stdout));
  if (!COPYABLE.has(media.video.codec)) timeline.cuts = [];
  const chunks = planChunks(media.durationSec, parseSilencedetect(stderr), timeline, {
    targetSec: options.stream.chunkSeconds,
    overlapSec: options.stream.overlapSeconds,
  });
  await writeAtomic(job, inJob(job, 'stream/plan.json'), JSON.stringify({ frames: timeline.frames.length, keyframes: timeline.cuts.length, chunks }, null, 2));
  return chunks;
}

/**
 * How the chunk's video is cut: copied (reading this much decode time, or to the end of the file) when both
 * edges are clean keyframes of a copyable codec, else false (re-encoded). A plan made before copyReadSec existed
 * re-encodes all but its last chunk rather than copy past the chunk's end.
 */
function copyRead(chunk: Chunk, media: PreparedJob['media']): number | undefined | false {
  if (!chunk.keyframeAligned || !COPYABLE.has(media.video.codec)) return false;
  if (chunk.copyReadSec !== undefined) return chunk.copyReadSec;
  return chunk.end >= media.durationSec ? undefined : false;
}

/**
 * `--subs embedded[:N|:lang]` for a streaming run: the input's subtitle track extracted once into the job's
 * folder (source.embedded-N.ass|srt, as a whole-file job names it), the path every chunk reads. Idempotent:
 * a chunk that finds it fresh reads it; concurrent chunks each write their own temp name and rename.
 */
export async function embeddedSubtitleFile(prep: PreparedJob): Promise<string> {
  const { job, media, options } = prep;
  const stream = pickSubtitleStream(media, (subsSource(options.subs!) as { selector?: string }).selector);
  const ext = stream.codec === 'ass' || stream.codec === 'ssa' ? 'ass' : 'srt';
  const out = inJob(job, `source.embedded-${stream.index}.${ext}`);
  const src = await stat(media.path);
  const hash = hashOf('embeddedSubtitles', media.path, src.size, src.mtimeMs, stream.index, stream.codec);
  if (await isFresh(job, out, hash)) return out;
  try {
    await run(extractSubtitleArgv(media.path, stream.index, stream.codec, tmpOf(out)), { timeoutMs: 10 * 60_000, recordTo: commandLog(job) });
  } catch {
    // ffmpeg's own words may quote the track's text: the message names the track only.
    throw failure(ErrorType.InvalidSubtitles, `--subs ${options.subs}: ffmpeg could not read subtitle track ${stream.index} (${stream.codec}) of ${path.basename(media.path)} as text`);
  }
  await commit(job, tmpOf(out), out, hash);
  return out;
}

export interface CutChunk {
  chunkPrep: PreparedJob;
  audio: AudioTracks;
  video: 'copy' | 'reencode';
  startedAt: string;
}

/** A chunk as a small job of its own under chunks/chunk_NNN/, so the whole-file activities work on it unchanged. */
export async function cutChunk(prep: PreparedJob, chunk: Chunk): Promise<CutChunk> {
  const startedAt = new Date().toISOString();
  injectedFailure('cutChunk', chunk.index);
  const { job, media, options } = prep;
  const chunkJob = { root: inJob(job, 'chunks'), name: chunkName(chunk.index) };
  const duration = chunk.end - chunk.start;
  const read = copyRead(chunk, media);
  const copy = read !== false;
  const src = await stat(media.path);
  // The chosen source audio (--audio-track) joins the hash only when it is not the first, so older chunks stay fresh.
  const track = media.audioStream ?? 0;
  const hash = hashOf('cutChunk', chunk, read, media.path, src.size, src.mtimeMs, 'frame-exact', ...(track ? [track] : []));
  const log = commandLog(job);
  const audio: AudioTracks = { mix: ORIGINAL_MIX_WAV, analysis: 'audio/context.16k.wav' };
  const outputs: [string, string[]][] = [
    ['video.mp4', cutVideoArgv(media.path, chunk.start, chunk.end, read, '', track)],
    [audio.mix, cutAudioArgv(media.path, chunk.start, duration, MIX_RATE, 2, '', track)],
    [audio.analysis, cutAudioArgv(media.path, chunk.contextStart, chunk.contextEnd - chunk.contextStart, ANALYSIS_RATE, 1, '', track)],
  ];
  await mkdir(inJob(chunkJob, 'audio'), { recursive: true });
  for (const [rel, argv] of outputs) {
    const abs = inJob(chunkJob, rel);
    if (await isFresh(chunkJob, abs, hash)) continue;
    argv[argv.length - 1] = tmpOf(abs);
    await run(argv, { timeoutMs: 30 * 60_000, recordTo: log });
    await commit(chunkJob, tmpOf(abs), abs, hash);
  }
  // --subs embedded: the chunk reads the track extracted once into the job's folder, as a file (the chunk's own
  // video holds no subtitles). Its cut video carries the chosen audio as its only track: audioStream 0 there.
  const subs = options.subs && subsSource(options.subs).kind === 'embedded' ? await embeddedSubtitleFile(prep) : options.subs;
  const { audioStream: _chosen, ...chunkMedia } = media;
  const chunkPrep: PreparedJob = {
    ...prep,
    job: chunkJob,
    options: { ...options, ...(subs !== options.subs ? { subs } : {}) },
    media: { ...chunkMedia, path: inJob(chunkJob, 'video.mp4'), durationSec: duration },
  };
  return { chunkPrep, audio, video: copy ? 'copy' : 'reencode', startedAt };
}

/** The chunk's lines, chunk-relative: recognition hears the context window, only lines starting inside are kept. */
export async function transcribeChunk(chunkPrep: PreparedJob, audio: AudioTracks, chunk: Chunk): Promise<Line[]> {
  const duration = chunk.end - chunk.start;
  let lines: Line[];
  let source: string;
  if (chunkPrep.options.subs) {
    lines = (await readSubtitleFile(chunkPrep.options.subs, '--subs', chunkPrep.options.subtitles)).map((l) => ({ ...l, start: l.start - chunk.start, end: l.end - chunk.start }));
    source = `subtitles:${path.basename(chunkPrep.options.subs)}`;
  } else {
    const shift = chunk.contextStart - chunk.start;
    const heard = await recognizeLines(chunkPrep, inJob(chunkPrep.job, audio.analysis), chunk.contextEnd - chunk.contextStart, 'tmp/asr');
    lines = heard.map((l) => ({
      ...l,
      start: l.start + shift,
      end: l.end + shift,
      words: l.words?.map((w) => ({ ...w, start: w.start + shift, end: w.end + shift })),
    }));
    source = 'pocketsphinx';
  }
  const kept = lines
    .filter((l) => l.start >= 0 && l.start < duration)
    .map((l, index) => ({ ...l, index, end: Math.min(l.end, duration), words: l.words?.filter((w) => w.start >= 0 && w.start < duration) }));
  await saveTranscript(chunkPrep, kept, source, hashOf('transcribeChunk', chunk, kept));
  return kept;
}

export interface ChunkFiles {
  mp4: string;
  ts: string;
  finishedAt: string;
}

async function segmentFrom(prep: PreparedJob, chunk: Chunk, mp4Abs: string, log: string): Promise<string> {
  const ts = inJob(prep.job, `stream/${chunkName(chunk.index)}.ts`);
  await run(segmentArgv(mp4Abs, chunk.start, tmpOf(ts)), { timeoutMs: 10 * 60_000, recordTo: log });
  await commit(prep.job, tmpOf(ts), ts, hashOf('segment', chunk));
  return path.basename(ts);
}

export async function muxChunk(prep: PreparedJob, chunk: Chunk, chunkPrep: PreparedJob, mixRel: string): Promise<ChunkFiles> {
  injectedFailure('muxChunk', chunk.index);
  const { job, options } = prep;
  const log = commandLog(job);
  await mkdir(inJob(job, 'stream'), { recursive: true });
  const mp4 = inJob(job, `stream/${chunkName(chunk.index)}.mp4`);
  const dubLang = containerLanguage(dubLanguage(options));
  const encoded = inJob(chunkPrep.job, ENCODED_DUB);
  const haveEncoded = await encodedDubHash(chunkPrep, mixRel).then((h) => isFresh(chunkPrep.job, encoded, h), () => false);
  await run(muxChunkArgv(chunkPrep.media.path, haveEncoded ? encoded : inJob(chunkPrep.job, mixRel), dubLang, containerLanguage(options.src), tmpOf(mp4)), { timeoutMs: 30 * 60_000, recordTo: log });
  await commit(job, tmpOf(mp4), mp4, hashOf('muxChunk', chunk, mixRel));
  const ts = await segmentFrom(prep, chunk, mp4, log);
  return { mp4: path.basename(mp4), ts, finishedAt: new Date().toISOString() };
}

/** A chunk that failed for good keeps the original audio (as both tracks), so playback goes on. */
export async function fallbackChunk(prep: PreparedJob, chunk: Chunk): Promise<ChunkFiles> {
  injectedFailure('fallbackChunk', chunk.index);
  const { job, media, options } = prep;
  const log = commandLog(job);
  await mkdir(inJob(job, 'stream'), { recursive: true });
  const mp4 = inJob(job, `stream/${chunkName(chunk.index)}.mp4`);
  const cut = inJob(job, `tmp/fallback/${chunkName(chunk.index)}.mp4`);
  await mkdir(path.dirname(cut), { recursive: true });
  await run(cutVideoArgv(media.path, chunk.start, chunk.end, copyRead(chunk, media), cut, media.audioStream ?? 0), { timeoutMs: 30 * 60_000, recordTo: log });
  const lang = containerLanguage(options.src);
  await run(muxChunkArgv(cut, cut, lang, lang, tmpOf(mp4)), { timeoutMs: 30 * 60_000, recordTo: log });
  await commit(job, tmpOf(mp4), mp4, hashOf('fallbackChunk', chunk, ...(media.audioStream ? [media.audioStream] : [])));
  const ts = await segmentFrom(prep, chunk, mp4, log);
  return { mp4: path.basename(mp4), ts, finishedAt: new Date().toISOString() };
}

export interface PublishRequest {
  workflowId: string;
  entries: ChunkEntry[];
  done: boolean;
  final?: string;
}

/** Rewrites stream/manifest.json and stream/index.m3u8, each by rename: a reader never sees half a file. */
export async function publishStream(prep: PreparedJob, req: PublishRequest): Promise<void> {
  const { job, media, options } = prep;
  const manifest: StreamManifest = {
    version: MANIFEST_VERSION,
    job: job.name,
    workflowId: req.workflowId,
    source: { path: media.path, durationSec: media.durationSec },
    plan: {
      chunkSeconds: options.stream.chunkSeconds,
      overlapSeconds: options.stream.overlapSeconds,
      concurrency: options.stream.concurrency,
      dryRun: options.stream.dryRun,
      chunks: req.entries.length,
    },
    status: req.done ? 'done' : 'running',
    chunks: req.entries,
    final: req.final,
    updatedAt: new Date().toISOString(),
  };
  await writeAtomic(job, inJob(job, STREAM_MANIFEST), JSON.stringify(manifest, null, 2));
  await writeAtomic(job, inJob(job, STREAM_PLAYLIST), playlist(req.entries, req.done));
}

/** stream/stream.final.mp4: every chunk joined by stream copy (no re-encode). */
export async function stitchStream(prep: PreparedJob, entries: ChunkEntry[]): Promise<string> {
  const { job } = prep;
  const list = inJob(job, 'tmp/stitch.ffconcat');
  await mkdir(path.dirname(list), { recursive: true });
  // Each entry's nominal duration, not the file's: AAC padding would otherwise add ~20 ms per chunk. In
  // microseconds, so every chunk's frames land on the source's own timestamps (milliseconds would drift them).
  const body = entries.map((e) => `${concatEntry(inJob(job, `stream/${e.files!.mp4}`))}\nduration ${sec(e.end - e.start)}`);
  await writeFile(list, `ffconcat version 1.0\n${body.join('\n')}\n`);
  const out = inJob(job, STREAM_FINAL);
  await run(concatArgv(list, tmpOf(out)), { timeoutMs: 60 * 60_000, recordTo: commandLog(job) });
  await commit(job, tmpOf(out), out, hashOf('stitch', entries));
  return STREAM_FINAL;
}

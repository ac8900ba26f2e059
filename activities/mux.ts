// Subtitles and the two containers: <stem>.<lang>.dub.mp4 and <stem>.<lang>.dub.mkv (every name carries its language).
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { encodeDubArgv, muxMkvArgv, muxMp4Argv, type MuxTrackInfo } from '../engines/ffmpeg.js';
import type { DubOutputs, HashRequest, MuxedOutputs, PreparedJob, TranslatedLine } from '../lib/job.js';
import { outputHashesOf } from '../storage/artifactStore.js';
import { containerLanguage, dubLanguage as dubLanguageOf } from '../lib/languages.js';
import { fileStem } from '../storage/jobFolder.js';
import { versionedName } from '../lib/review.js';
import { formatSrt, formatVtt } from '../formats/subtitles.js';
import { commandLog, commit, hashOf, inJob, isFresh, tmpOf, writeAtomic } from '../storage/artifacts.js';
import { run } from '../engines/run.js';
import { linesOf } from './lineSets.js';
import { readTimeMap, stretchedOriginal, stretchedVideo, type TimeMapFile } from './fitVideo.js';
import { fitVideoOn, toOutput } from '../lib/timeMap.js';
import type { Lines } from '../lib/job.js';

export function trackInfo(prep: PreparedJob, outputs: DubOutputs, mixRel: string, video = prep.media.path): MuxTrackInfo {
  const { job, options, media } = prep;
  const dubLanguage = dubLanguageOf(options);
  return {
    video,
    original: media.path,
    mix: inJob(job, mixRel),
    originalCodec: media.audio.codec,
    sourceSrt: inJob(job, outputs.sourceSrt),
    targetSrt: inJob(job, outputs.targetSrt),
    srcLang: containerLanguage(options.src),
    tgtLang: containerLanguage(dubLanguage),
    title: `${fileStem(media.path)} (${dubLanguage} dub)`,
    ...(media.audioStream ? { originalAudio: media.audioStream } : {}),
    ...(media.subtitleStreams?.length ? { inputSubtitles: media.subtitleStreams.length } : {}),
  };
}

/**
 * The tracks with --fit-video auto: the rebuilt picture, the original slowed along the map (AAC), and none of
 * the input's own subtitle streams (they would keep the source's timing).
 */
async function fitVideoTracks(prep: PreparedJob, outputs: DubOutputs, map: TimeMapFile): Promise<MuxTrackInfo> {
  const [video, original] = await Promise.all([stretchedVideo(prep, map), stretchedOriginal(prep, map)]);
  const { originalAudio: _a, inputSubtitles: _s, ...rest } = trackInfo(prep, outputs, ENCODED_DUB, inJob(prep.job, video));
  return { ...rest, original: inJob(prep.job, original), originalCodec: 'aac' };
}

/** The dub encoded once for both containers: made by mixDub while it verifies the mix, or here when missing. */
export const ENCODED_DUB = 'tmp/mux/dub.m4a';

/** What the encoded dub was made from: the mix as committed (a re-mix changes its size or time). */
export async function encodedDubHash(prep: PreparedJob, mixRel: string): Promise<string> {
  const mixStat = await stat(inJob(prep.job, mixRel));
  return hashOf('encode-dub', mixRel, mixStat.size, mixStat.mtimeMs);
}

/** Encodes a mix (a temp file while the mix is still being verified) to the encoded dub's temp name. */
export async function encodeDubTo(prep: PreparedJob, mixAbs: string): Promise<string> {
  const tmp = tmpOf(inJob(prep.job, ENCODED_DUB));
  await mkdir(path.dirname(tmp), { recursive: true });
  await run(encodeDubArgv(mixAbs, tmp), { timeoutMs: 60 * 60_000, recordTo: commandLog(prep.job) });
  return tmp;
}

/**
 * The subtitles and both containers. With `want.hashes` (a workflow that carries them to its result) the result
 * also holds each file's SHA-256 and size, hashed here where they were made; without it, the old shape.
 */
export async function muxOutputs(prep: PreparedJob, linesIn: Lines<TranslatedLine>, mixRel: string, want: HashRequest = {}): Promise<MuxedOutputs> {
  let lines = await linesOf(prep.job, linesIn);
  const { job, options, media } = prep;
  const stem = fileStem(media.path);
  const dubLanguage = dubLanguageOf(options);
  const outputs: DubOutputs = {
    sourceSrt: `${stem}.${options.src}.src.srt`,
    targetSrt: `${stem}.${dubLanguage}.srt`,
    sourceVtt: `${stem}.${options.src}.src.vtt`,
    targetVtt: `${stem}.${dubLanguage}.vtt`,
    mp4: versionedName(`${stem}.${dubLanguage}`, options.review?.outputVersion ?? 1, 'mp4'),
    mkv: versionedName(`${stem}.${dubLanguage}`, options.review?.outputVersion ?? 1, 'mkv'),
  };
  // --fit-video auto: the subtitles, the original track and the picture all play along the time map.
  const timeMap = fitVideoOn(options) ? await readTimeMap(job) : undefined;
  if (timeMap) lines = lines.map((l) => ({ ...l, start: toOutput(timeMap, l.start), end: toOutput(timeMap, l.end) }));
  const targetLines = lines.map((l) => ({ ...l, text: l.target }));
  await writeAtomic(job, inJob(job, outputs.sourceSrt), formatSrt(lines));
  await writeAtomic(job, inJob(job, outputs.targetSrt), formatSrt(targetLines));
  await writeAtomic(job, inJob(job, outputs.sourceVtt!), formatVtt(lines));
  await writeAtomic(job, inJob(job, outputs.targetVtt!), formatVtt(targetLines));

  const log = commandLog(job);
  // One AAC encode of the dub, then both containers by stream copy, side by side (each is I/O, not CPU).
  const dubAbs = inJob(job, ENCODED_DUB);
  const encodeHash = await encodedDubHash(prep, mixRel);
  if (!(await isFresh(job, dubAbs, encodeHash))) await commit(job, await encodeDubTo(prep, inJob(job, mixRel)), dubAbs, encodeHash);
  // No span slowed (every line fit at the speech cap): the source's picture and original track as they are.
  const tracks = timeMap?.spans.length ? await fitVideoTracks(prep, outputs, timeMap) : trackInfo(prep, outputs, ENCODED_DUB);
  const hash = hashOf('mux', tracks, encodeHash, lines, ...(timeMap?.spans.length ? [timeMap.spans] : []));
  await Promise.all(([[outputs.mp4, muxMp4Argv], [outputs.mkv, muxMkvArgv]] as const).map(async ([rel, argv]) => {
    const abs = inJob(job, rel);
    if (await isFresh(job, abs, hash)) return;
    await run(argv(tracks, tmpOf(abs)), { timeoutMs: 60 * 60_000, recordTo: log });
    await commit(job, tmpOf(abs), abs, hash);
  }));
  if (!want.hashes) return outputs;
  return { ...outputs, hashes: await outputHashesOf((rel) => inJob(job, rel), Object.values(outputs) as string[]) };
}

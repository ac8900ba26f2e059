// The extractAudio activity: the two audio tracks every later stage reads (the mix at 48 kHz, 16 kHz mono for analysis).
import { stat } from 'node:fs/promises';
import { extractArgv } from '../engines/ffmpeg.js';
import { run } from '../engines/run.js';
import type { AudioTracks, PreparedJob } from '../lib/job.js';
import { ANALYSIS_WAV, ORIGINAL_MIX_WAV } from '../lib/artifactNames.js';
import { commandLog, commit, hashOf, inJob, isFresh, tmpOf } from '../storage/artifacts.js';


export async function extractAudio(prep: PreparedJob): Promise<AudioTracks> {
  const { job, media } = prep;
  const tracks: AudioTracks = { mix: ORIGINAL_MIX_WAV, analysis: ANALYSIS_WAV };
  const mixAbs = inJob(job, tracks.mix);
  const anaAbs = inJob(job, tracks.analysis);
  const src = await stat(media.path);
  const hash = hashOf('extract', media.path, src.size, src.mtimeMs, ...(media.audioStream ? [media.audioStream] : []));
  if ((await isFresh(job, mixAbs, hash)) && (await isFresh(job, anaAbs, hash))) return tracks;
  await run(extractArgv(media.path, tmpOf(mixAbs), tmpOf(anaAbs), media.audioStream ?? 0), { timeoutMs: 30 * 60_000, recordTo: commandLog(job) });
  await commit(job, tmpOf(mixAbs), mixAbs, hash);
  await commit(job, tmpOf(anaAbs), anaAbs, hash);
  return tracks;
}

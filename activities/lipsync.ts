// The lip-sync stage: the chosen plugin renders the face video against the final mix, then the result is
// muxed with every audio track and the subtitles into <stem>.lipsync.mp4. Without strict mode a missing or
// failing plugin only skips this stage (the normal dub stands) and says why.
import { copyFile, mkdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CancelledFailure } from '@temporalio/common';
import { loadSettings } from '../config/load.js';
import type { JobOptions } from '../config/schema.js';
import { muxMp4Argv } from '../engines/ffmpeg.js';
import { ErrorType, failure } from '../lib/errors.js';
import type { DubOutputs, LipsyncOutcome, LipsyncShot, MediaInfo, PreparedJob } from '../lib/job.js';
import { commandLog, commit, hashOf, inJob, isFresh, tmpOf } from '../storage/artifacts.js';
import { outputHashesOf } from '../storage/artifactStore.js';
import { run } from '../engines/run.js';
import { trackInfo } from './mux.js';
import { DUB_VOICE_WAV } from './mix.js';
import { readTranscript, TRANSCRIPT } from './transcribe.js';
import { fileStem } from '../storage/jobFolder.js';
import { dubLanguage } from '../lib/languages.js';
import type { LipsyncDetails, LipsyncRequest } from '../engines/lipsync/plugin.js';
import { lipsyncPlugin, lipsyncPluginNames } from '../engines/lipsync/registry.js';

/** The face box in Wav2Lip's order (after --resize_factor), or undefined to let the plugin detect faces. */
export function faceBox(opts: JobOptions['lipsync'], video: MediaInfo['video']): LipsyncRequest['box'] {
  const f = opts.resizeFactor;
  if (opts.face === 'bbox' && opts.box) {
    const [x1, y1, x2, y2] = opts.box;
    return { top: Math.floor(y1 / f), bottom: Math.floor(y2 / f), left: Math.floor(x1 / f), right: Math.floor(x2 / f) };
  }
  if (opts.face === 'center') {
    // The middle of the frame, where a talking character usually is: 40% of the width, 60% of the height.
    const w = Math.floor(video.width / f);
    const h = Math.floor(video.height / f);
    return { top: Math.round(h * 0.2), bottom: Math.round(h * 0.8), left: Math.round(w * 0.3), right: Math.round(w * 0.7) };
  }
  return undefined;
}

/**
 * Where a plugin's account of its work is kept: per shot what it did, and a changed frame beside the original. At
 * the top of the job folder beside the video they describe, so they are hashed with it and downloaded with the other
 * outputs (the client fetches only plain names at the top: an s3 mirror's `lipsync/…` never reached a user).
 */
export const lipsyncDetailsOf = (videoRel: string) => ({ report: videoRel.replace(/\.mp4$/, '.json'), still: videoRel.replace(/\.mp4$/, '.png') });
/** Where earlier versions kept them; removed with a new render so nothing stale stays beside it. */
const OLD_LIPSYNC_DIR = 'lipsync';

export async function lipsync(prep: PreparedJob, mixRel: string, outputsIn: DubOutputs): Promise<LipsyncOutcome> {
  // Only the outputs' names count (hashes from a workflow that passed muxOutputs' result on as it was are not inputs).
  const { hashes: _h, ...outputs } = outputsIn as DubOutputs & { hashes?: unknown };
  const { job, options, media } = prep;
  const opts = options.lipsync;
  if (opts.engine === 'off') return { status: 'off' };
  const plugin = lipsyncPlugin(opts.engine);
  if (!plugin) throw failure(ErrorType.InvalidConfig, `unknown lip-sync plugin "${opts.engine}"; known: ${lipsyncPluginNames().join(', ')}`);
  const settings = loadSettings();
  const box = faceBox(opts, media.video);

  const skipOrFail = (reason: string, missingInstall: boolean): LipsyncOutcome => {
    if (opts.strict) throw failure(missingInstall ? ErrorType.PluginMissing : ErrorType.EngineFailed, `lip-sync (${plugin.name}) ${missingInstall ? 'unavailable' : 'failed'}: ${reason}`);
    return { status: 'skipped', plugin: plugin.name, reason };
  };

  const availability = await plugin.check(settings, box === undefined);
  if (!availability.available) return skipOrFail(availability.reason, true);

  const rel = `${fileStem(media.path)}.${dubLanguage(prep.options)}.lipsync.mp4`;
  const out = inJob(job, rel);
  const mix = await stat(inJob(job, mixRel));
  const hash = hashOf('lipsync', plugin.name, availability.detail, opts, box, mix.size, mix.mtimeMs, media.path, outputs);
  // The made file's SHA-256 and size travel to the job's result (the client checks its download against them).
  const kept = lipsyncDetailsOf(rel);
  const done = async (): Promise<LipsyncOutcome> => {
    const details = await keptDetails(job, kept, hash);
    const files = [rel, ...(details.details ? [details.details] : []), ...(details.still ? [details.still] : [])];
    return { status: 'done', plugin: plugin.name, output: rel, ...details, hashes: await outputHashesOf((r) => inJob(job, r), files) };
  };
  if (await isFresh(job, out, hash)) return done();

  // Plain relative names inside the work dir: Wav2Lip builds shell commands from these paths.
  const workDir = inJob(job, 'tmp/lipsync');
  await rm(workDir, { recursive: true, force: true });
  await Promise.all([OLD_LIPSYNC_DIR, kept.report, kept.still].map((r) => rm(inJob(job, r), { recursive: true, force: true })));
  await mkdir(path.join(workDir, 'temp'), { recursive: true });
  const faceName = `face${path.extname(media.path).toLowerCase() || '.mp4'}`;
  await symlink(media.path, path.join(workDir, faceName));
  await symlink(inJob(job, mixRel), path.join(workDir, 'audio.wav'));
  await symlink(inJob(job, DUB_VOICE_WAV), path.join(workDir, 'voice.wav'));
  // The source lines' times: a plugin that re-times mouths finds each line's speaker from them (none: nothing to re-time).
  const transcript = await readTranscript(inJob(job, TRANSCRIPT)).catch(() => []);
  const sourceLines = transcript.map((l) => ({ index: l.index, start: l.start, end: l.end }));
  await writeFile(path.join(workDir, 'lines.json'), JSON.stringify(sourceLines));
  const request: LipsyncRequest = {
    workDir, face: faceName, audio: 'audio.wav', voice: 'voice.wav', lines: 'lines.json', outfile: 'result_voice.mp4', box,
    pads: opts.pads, resizeFactor: opts.resizeFactor, nosmooth: opts.nosmooth,
    timeoutMs: opts.timeoutSec * 1000, recordTo: commandLog(job),
  };
  try {
    const details: LipsyncDetails | void = await plugin.run(settings, request);
    const rendered = path.join(workDir, request.outfile);
    if (!(await stat(rendered).then((s) => s.size > 0, () => false))) throw new Error(`it exited without writing ${request.outfile}`);
    await run(muxMp4Argv(trackInfo(prep, outputs, mixRel, rendered), tmpOf(out)), { timeoutMs: 60 * 60_000, recordTo: commandLog(job) });
    // A plugin's unreadable account is its failure like any other (skipped, or the job fails in strict mode).
    if (details) await keepDetails(job, workDir, details, kept, hash);
  } catch (err) {
    if (err instanceof CancelledFailure) throw err;
    return skipOrFail((err as Error).message, false);
  }
  await commit(job, tmpOf(out), out, hash);
  return done();
}

type Kept = ReturnType<typeof lipsyncDetailsOf>;

/** The kept account of this very render (a stale one from another plugin or option set is not it). */
async function keptDetails(job: PreparedJob['job'], kept: Kept, hash: string): Promise<Pick<LipsyncOutcome, 'details' | 'still' | 'shots'>> {
  if (!(await isFresh(job, inJob(job, kept.report), hash))) return {};
  const report = JSON.parse(await readFile(inJob(job, kept.report), 'utf8')) as { still?: string | null; shots?: Array<Record<string, unknown>> };
  const shots: LipsyncShot[] | undefined = report.shots?.map((s) => ({
    start: Number(s.start), end: Number(s.end), faces: Array.isArray(s.faces) ? s.faces.length : 0,
    linesRetimed: Array.isArray(s.linesRetimed) ? s.linesRetimed.map(Number) : [], framesChanged: Number(s.framesChanged) || 0,
  }));
  // The still is named only while it is there (it is hashed into the job's result with the report).
  const still = report.still && (await isFresh(job, inJob(job, kept.still), hash));
  return { details: kept.report, ...(still ? { still: kept.still } : {}), ...(shots ? { shots } : {}) };
}

/** The plugin's account of its work, kept beside the output (tmp/ is for the plugin's scratch files). */
async function keepDetails(job: PreparedJob['job'], workDir: string, details: LipsyncDetails, kept: Kept, hash: string): Promise<void> {
  const report = JSON.parse(await readFile(path.join(workDir, details.report), 'utf8')) as { still?: string | null };
  if (details.still) {
    await copyFile(path.join(workDir, details.still), tmpOf(inJob(job, kept.still)));
    await commit(job, tmpOf(inJob(job, kept.still)), inJob(job, kept.still), hash);
  }
  report.still = details.still ? kept.still : null;
  await writeFile(tmpOf(inJob(job, kept.report)), JSON.stringify(report, null, 2));
  await commit(job, tmpOf(inJob(job, kept.report)), inJob(job, kept.report), hash);
}

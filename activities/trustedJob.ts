// A PreparedJob is made by prepareJob from validated job input, then travels through workflow histories, where
// anyone on the namespace could forge one (a workflow type started by hand). So every activity checks the
// PreparedJob it is given as strictly as a job start is checked: the options against the same schema and the
// worker's limits, the folder against the worker's output root, and every value that reaches an engine.
// prepareJob shares the limits half (a job may lower a worker limit, never raise it).
import { lstat, readdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { describeIssues, jobOptionsFields, type JobOptions, type Settings } from '../config/schema.js';
import { PLACEMENT_NAMES } from '../config/placement.js';
import { ErrorType, failure } from '../lib/errors.js';
import { TTS_ENGINE_NAMES } from '../config/ttsEngineNames.js';

const TTS_ENGINES = TTS_ENGINE_NAMES;
const lang = /^[a-z]{2,3}$/;
/** A folder name the pipeline makes (`ep01.en`, `chunk_007`): no `..`, no link tricks, no leading dot or dash. */
const folderPart = /^[\p{L}\p{N}_][\p{L}\p{N}._-]{0,200}$/u;

const voicePlanSchema = z.object({
  engine: z.enum(TTS_ENGINES),
  speakers: z.array(z.object({
    speaker: z.string().min(1).max(200),
    voice: z.string().regex(/^[A-Za-z0-9_+.\/@-]{1,256}$/).refine((v) => !v.split('/').includes('..'), 'no ..').optional(),
    engine: z.enum(TTS_ENGINES).optional(),
    speakerId: z.number().int().min(0).max(100_000).optional(),
    pitch: z.number().min(0.5).max(2).optional(),
    reference: z.string().regex(/^[\p{L}\p{N}_][\p{L}\p{N}._\/-]{0,300}$/u).refine((v) => !v.split('/').includes('..'), 'no ..').optional(),
  }).passthrough()).max(10_000),
}).passthrough();

/** What the worker allows a job: the same limits are the job's defaults, and a job may only lower them. */
export function workerLimits(settings: Settings) {
  return {
    maxInputHours: settings.job.limits.maxInputHours,
    heartbeatSec: settings.job.timeouts.heartbeatSec,
    queues: new Set([settings.queues.workflows, settings.queues.cpu, settings.queues.gpu]),
  };
}

/** Problems with options that exceed the worker's limits or name a queue it does not serve. */
export function limitProblems(options: Pick<JobOptions, 'limits' | 'timeouts' | 'queues'>, settings: Settings): string[] {
  const w = workerLimits(settings);
  const out: string[] = [];
  if (options.limits.maxInputHours > w.maxInputHours) out.push(`limits.maxInputHours: at most the worker's ${w.maxInputHours} h (got ${options.limits.maxInputHours}); a job may lower it, not raise it`);
  if (options.timeouts.heartbeatSec > w.heartbeatSec) out.push(`timeouts.heartbeatSec: at most the worker's ${w.heartbeatSec} s (got ${options.timeouts.heartbeatSec}); a job may lower it, not raise it`);
  for (const kind of ['workflows', 'cpu', 'gpu'] as const) {
    if (!w.queues.has(options.queues[kind])) out.push(`queues.${kind}: one of the worker's task queues (${[...w.queues].join(', ')}), not ${JSON.stringify(options.queues[kind].slice(0, 80))}`);
  }
  return out;
}

/**
 * A job's options with the worker's limits applied: a limit above the worker's is brought down to it (the
 * client's defaults may be another machine's); a task queue the worker does not serve is refused.
 */
export function withWorkerLimits(options: JobOptions, settings: Settings): JobOptions {
  const w = workerLimits(settings);
  options.limits.maxInputHours = Math.min(options.limits.maxInputHours, w.maxInputHours);
  options.timeouts.heartbeatSec = Math.min(options.timeouts.heartbeatSec, w.heartbeatSec);
  const problems = limitProblems(options, settings);
  if (problems.length) throw failure(ErrorType.InvalidConfig, `invalid job options: ${problems.join('; ')}`);
  return options;
}

const inside = (dir: string, abs: string) => abs === dir || abs.startsWith(dir + path.sep);

/** The job folder: inside the output root, reached through real folders only, claimed by prepareJob (.input.json). */
async function folderProblems(job: unknown, outputRoot: string, disk: boolean): Promise<{ problems: string[]; top?: string }> {
  const j = job as { root?: unknown; name?: unknown } | undefined;
  if (!j || typeof j.root !== 'string' || typeof j.name !== 'string') return { problems: ['job: a folder (root and name) that prepareJob made'] };
  const root = path.resolve(outputRoot);
  const dir = path.resolve(j.root, j.name);
  const rel = path.relative(root, dir);
  if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) return { problems: [`job: a folder inside the worker's output root, not ${dir}`] };
  const parts = rel.split(path.sep);
  if (!parts.every((p) => folderPart.test(p))) return { problems: ['job: folder names of letters, digits, . _ - (no . or .. or leading - or .)'] };
  // Before an s3 mirror has pulled the folder, only its name can be checked (the pull runs next, then this again).
  if (!disk) return { problems: [], top: root };
  // Each step a real folder: a link planted inside the root is never followed.
  let at = root;
  let top: string | undefined;
  for (const p of parts) {
    at = path.join(at, p);
    const st = await lstat(at).catch(() => undefined);
    if (!st) return { problems: [`job: ${rel} does not exist; only prepareJob makes job folders`] };
    if (!st.isDirectory()) return { problems: [`job: ${path.relative(root, at)} is a link or a file, not a folder`] };
    if (!top && await lstat(path.join(at, '.input.json')).then((s) => s.isFile(), () => false)) top = at;
  }
  if (!top) return { problems: [`job: ${rel} is not a job folder (prepareJob claims one with .input.json)`] };
  const link = await firstLinkInside(top);
  if (link) return { problems: [`job: ${path.relative(root, top)} holds a link (${link}); anime-dub never writes through links: remove it`] };
  const real = await realpath(dir).catch(() => undefined);
  const realRoot = await realpath(root).catch(() => root);
  if (!real || path.relative(realRoot, real) !== rel) return { problems: [`job: ${rel} resolves outside the output root`] };
  return { problems: [], top };
}

/**
 * A link anywhere in a job folder (by its path inside), or undefined. Lip-sync's work folder is skipped: its
 * links are the plugin's inputs, made fresh by each run. Folder entries carry their type: no stat per file.
 */
export async function firstLinkInside(dir: string): Promise<string | undefined> {
  const queue = [''];
  for (let seen = 0; queue.length && seen < 500_000;) {
    const rel = queue.shift()!;
    const entries = await readdir(path.join(dir, rel), { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      seen++;
      const inner = rel ? `${rel}/${e.name}` : e.name;
      if (e.isSymbolicLink()) return inner;
      if (e.isDirectory() && inner !== 'tmp/lipsync') queue.push(inner);
    }
  }
  return undefined;
}

/**
 * A job started by an older release carries placements of activities since retired (reviseLine, fitLine): they
 * only ever named a queue kind, so they are dropped, not refused (a job in flight across an upgrade goes on).
 */
function withoutRetiredPlacements(options: unknown): unknown {
  const o = options as { placement?: Record<string, unknown> } | undefined;
  if (!o || typeof o !== 'object' || !o.placement || typeof o.placement !== 'object') return options;
  const placement = Object.fromEntries(Object.entries(o.placement).filter(([k]) => (PLACEMENT_NAMES as readonly string[]).includes(k)));
  return { ...o, placement };
}

/** Every problem with a PreparedJob given to an activity (empty = it is one a job start could have made). */
export async function preparedJobProblems(prep: unknown, settings: Settings, disk = true): Promise<string[]> {
  if (!prep || typeof prep !== 'object') return ['not a prepared job'];
  const p = prep as Record<string, unknown>;
  const problems: string[] = [];
  // The fields only: which options go together is checked once, when the job starts (a job in flight since
  // before a rule was added goes on).
  const parsed = jobOptionsFields.safeParse(withoutRetiredPlacements(p.options));
  if (!parsed.success) problems.push(`options: ${describeIssues(parsed.error as z.ZodError)}`);
  else problems.push(...limitProblems(parsed.data, settings).map((m) => `options.${m}`));
  const { problems: folder, top } = await folderProblems(p.job, settings.outputDir, disk);
  problems.push(...folder);
  if (!TTS_ENGINES.includes(p.ttsEngine as never)) problems.push(`ttsEngine: one of ${TTS_ENGINES.join(', ')}`);
  if (p.subsLanguage !== undefined && !(typeof p.subsLanguage === 'string' && lang.test(p.subsLanguage))) problems.push('subsLanguage: a 2- or 3-letter language code');
  if (p.separate !== undefined && typeof p.separate !== 'boolean') problems.push('separate: true or false');
  const media = p.media as { path?: unknown; durationSec?: unknown } | undefined;
  const hours = parsed.success ? parsed.data.limits.maxInputHours : 0;
  if (!media || typeof media.path !== 'string') problems.push('media: the probed input');
  else {
    const own = parsed.success && path.resolve(media.path) === path.resolve(parsed.data.video);
    // The input itself, or a copy inside the job folder (a stored input, a chunk's cut).
    if (!own && !(top && inside(top, path.resolve(media.path)))) problems.push('media.path: the job\'s own video (options.video) or a file in its folder');
    if (typeof media.durationSec !== 'number' || !(media.durationSec > 0) || media.durationSec > hours * 3600) problems.push(`media.durationSec: a probed duration within the ${hours} h limit`);
  }
  if (p.fit !== undefined) {
    // The settled fit may only be the job's own, its fastest speed lowered (never raised).
    const fit = jobOptionsFields.shape.fit.safeParse(p.fit);
    if (!fit.success) problems.push(`fit: ${describeIssues(fit.error as z.ZodError)}`);
    else if (parsed.success && fit.data.maxSpeed > parsed.data.fit.maxSpeed) problems.push(`fit.maxSpeed: at most the job's fit.maxSpeed ${parsed.data.fit.maxSpeed}`);
  }
  if (p.voices !== undefined) {
    const v = voicePlanSchema.safeParse(p.voices);
    if (!v.success) problems.push(`voices: ${describeIssues(v.error as z.ZodError)}`);
  }
  return problems;
}

/** The PreparedJob an activity was given, or a typed non-retryable refusal naming what is wrong with it. */
export async function assertPreparedJob(prep: unknown, settings: Settings, activity: string, disk = true): Promise<void> {
  const problems = await preparedJobProblems(prep, settings, disk);
  if (problems.length) {
    throw failure(ErrorType.InvalidConfig, `${activity} refused its job: it is not one prepareJob made for this worker (${problems.slice(0, 6).join('; ')})`);
  }
}

/** Whether a value has the shape of a PreparedJob (the activities' first argument, and muxChunk's third). */
export function looksPrepared(value: unknown): boolean {
  return !!value && typeof value === 'object' && 'job' in value && 'options' in value;
}

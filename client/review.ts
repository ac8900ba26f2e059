// `anime-dub review`: the lines of a finished job, edits kept in Output/<job>/review.json, and re-renders that
// redo only what changed (every artifact is cached by the hash of its inputs).
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { JobOptions } from '../config/schema.js';
import type { TranslatedLine } from '../lib/job.js';
import { applyOverrides, editProblem, emptyOverrides, mergeEdit, type LineEdit, type ReviewOverrides } from '../lib/review.js';
import { parseJsonQuietly, readFileNoFollow, writeFileNoFollow } from './safeWrite.js';
import { JOB_OPTIONS_FILE, REPORT_FILE, REVIEW_FILE } from '../lib/artifactNames.js';

export interface ReviewState {
  dir: string;
  options: JobOptions;
  machine: TranslatedLine[];
  overrides: ReviewOverrides;
  fit: Map<number, string>;
  /** Keys job.json held that only the worker's settings may set, left out of a re-render (e.g. mt.llm.baseUrl). */
  dropped: string[];
}

/**
 * job.json of a folder made by an older version (or downloaded from someone else) may name an LLM URL and a key
 * variable. Those are worker settings now: a re-render leaves them out (the job uses its endpoint name, else the
 * worker's "default"), so a folder's job.json can never send the worker's credentials somewhere it chose.
 */
export function withoutWorkerSettings(options: JobOptions): { options: JobOptions; dropped: string[] } {
  const llm = (options as { mt?: { llm?: Record<string, unknown> } }).mt?.llm;
  const dropped = ['baseUrl', 'apiKeyEnv'].filter((k) => llm && Object.hasOwn(llm, k)).map((k) => `mt.llm.${k}`);
  if (!dropped.length || !llm) return { options, dropped };
  const { baseUrl: _u, apiKeyEnv: _k, ...kept } = llm;
  return { options: { ...options, mt: { ...options.mt, llm: kept as JobOptions['mt']['llm'] } }, dropped };
}

export async function loadReview(dir: string): Promise<ReviewState> {
  // The folder may come from someone else: no link in it is followed, and a file that is not JSON is named with
  // its line, never quoted (it could be a link's target, or anything).
  const read = async (name: string, missing?: () => unknown) => {
    const text = await readFileNoFollow(dir, name).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT' && missing) return undefined;
      throw e.code === 'ENOENT' ? new Error(`${path.join(dir, name)}: no such file`) : e;
    });
    return text === undefined ? missing!() : parseJsonQuietly(text, path.join(dir, name));
  };
  const job = await read(JOB_OPTIONS_FILE, () => {
    throw new Error(`${dir} has no job.json: is it the output folder of a finished dub job?`);
  });
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(job)) throw new Error(`${path.join(dir, JOB_OPTIONS_FILE)}: expected the job's options (a JSON object)`);
  const { options, dropped } = withoutWorkerSettings(job as unknown as JobOptions);
  const machine = ((await read('translated.json')) as { lines?: TranslatedLine[] } | null)?.lines;
  if (!Array.isArray(machine)) throw new Error(`${path.join(dir, 'translated.json')}: expected {"lines": [...]} (the lines of a finished job)`);
  const overrides = (await read(REVIEW_FILE, emptyOverrides)) as ReviewOverrides;
  if (!isObject(overrides) || !isObject(overrides.edits)) throw new Error(`${path.join(dir, REVIEW_FILE)}: expected {"version": 1, "edits": {…}} (remove it to start the review again)`);
  // report.json only colours the table: any trouble with it leaves the fit column empty.
  const report = (await read(REPORT_FILE, () => undefined).catch(() => undefined)) as { lines?: unknown } | null | undefined;
  const rows = Array.isArray(report?.lines) ? (report.lines as { index: number; status: string }[]) : [];
  const fit = new Map<number, string>(rows.map((l) => [l?.index, l?.status]));
  return { dir, options, machine, overrides, fit, dropped };
}

export function reviewTable(state: ReviewState): string {
  const lines = applyOverrides(state.machine, state.overrides);
  const rows = lines.map((l) => {
    const e = state.overrides.edits[String(l.index)];
    const flags = [e?.locked ? 'locked' : '', e && (e.text !== undefined || e.start !== undefined || e.end !== undefined || e.speaker !== undefined) ? 'edited' : ''].filter(Boolean).join(',');
    return `${String(l.index).padStart(4)}  ${l.start.toFixed(2).padStart(8)}–${l.end.toFixed(2).padEnd(8)} ${(l.speaker ?? '-').padEnd(10)} ${(state.fit.get(l.index) ?? '?').padEnd(8)} ${flags.padEnd(13)} ${l.text}\n${''.padEnd(50)}→ ${l.target}`;
  });
  return [`   #  start   –end      speaker    fit      flags         source / translation`, ...rows].join('\n');
}

export async function saveEdit(state: ReviewState, index: number, edit: LineEdit): Promise<ReviewOverrides> {
  const problem = editProblem(applyOverrides(state.machine, state.overrides), index, edit);
  if (problem) throw new Error(problem);
  const next = mergeEdit(state.overrides, index, edit);
  await writeJson(state.dir, REVIEW_FILE, next);
  return next;
}

/** lock: freeze the line's current text; unlock: let translation decide again. */
export async function setLock(state: ReviewState, index: number, locked: boolean): Promise<ReviewOverrides> {
  const current = applyOverrides(state.machine, state.overrides).find((l) => l.index === index);
  if (!current) throw new Error(`no line ${index}: lines are numbered 0..${state.machine.length - 1}`);
  const prev = state.overrides.edits[String(index)] ?? {};
  const edit: LineEdit = locked ? { ...prev, locked: true, text: prev.text ?? current.target } : { ...prev, locked: false };
  const next: ReviewOverrides = { version: 1, edits: { ...state.overrides.edits, [String(index)]: edit } };
  await writeJson(state.dir, REVIEW_FILE, next);
  return next;
}

/** The next output version: 2 after <stem>.dub.mp4, 3 after <stem>.dub.v2.mp4, … */
export async function nextVersion(dir: string, stem: string): Promise<number> {
  let latest = 0;
  for (const name of await readdir(dir)) {
    if (name === `${stem}.dub.mp4`) latest = Math.max(latest, 1);
    const m = name.match(/\.dub\.v(\d+)\.mp4$/);
    if (m && name.startsWith(`${stem}.`)) latest = Math.max(latest, Number(m[1]));
  }
  return latest + 1;
}

/** Into a folder that may hold planted links: an exclusive temporary name, then a rename; no link followed. */
async function writeJson(dir: string, name: string, value: unknown): Promise<void> {
  await writeFileNoFollow(dir, name, JSON.stringify(value, null, 2));
}

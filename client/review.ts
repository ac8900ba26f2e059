// `anime-dub review`: the lines of a finished job, edits kept in Output/<job>/review.json, and re-renders that
// redo only what changed (every artifact is cached by the hash of its inputs).
import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { JobOptions } from '../config/schema.js';
import type { TranslatedLine } from '../lib/job.js';
import { applyOverrides, editProblem, emptyOverrides, mergeEdit, type LineEdit, type ReviewOverrides } from '../lib/review.js';

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
  const read = (name: string) => readFile(path.join(dir, name), 'utf8').then(JSON.parse);
  const { options, dropped } = withoutWorkerSettings(await read('job.json').catch(() => {
    throw new Error(`${dir} has no job.json: is it the output folder of a finished dub job?`);
  }));
  const machine: TranslatedLine[] = (await read('translated.json')).lines;
  const overrides: ReviewOverrides = await read('review.json').catch(() => emptyOverrides());
  const report = await read('report.json').catch(() => ({ lines: [] }));
  const fit = new Map<number, string>(report.lines.map((l: { index: number; status: string }) => [l.index, l.status]));
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
  await writeJson(path.join(state.dir, 'review.json'), next);
  return next;
}

/** lock: freeze the line's current text; unlock: let translation decide again. */
export async function setLock(state: ReviewState, index: number, locked: boolean): Promise<ReviewOverrides> {
  const current = applyOverrides(state.machine, state.overrides).find((l) => l.index === index);
  if (!current) throw new Error(`no line ${index}: lines are numbered 0..${state.machine.length - 1}`);
  const prev = state.overrides.edits[String(index)] ?? {};
  const edit: LineEdit = locked ? { ...prev, locked: true, text: prev.text ?? current.target } : { ...prev, locked: false };
  const next: ReviewOverrides = { version: 1, edits: { ...state.overrides.edits, [String(index)]: edit } };
  await writeJson(path.join(state.dir, 'review.json'), next);
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

async function writeJson(file: string, value: unknown): Promise<void> {
  const tmp = `${file}.part`;
  await writeFile(tmp, JSON.stringify(value, null, 2));
  await rename(tmp, file);
}

// What the benchmark reads out of one finished job: per-stage times from the workflow history (activity
// scheduled / started / closed event times) and where the wall time went besides the engines.
import type { temporal } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type Stamp = { seconds?: number | { toNumber(): number } | null; nanos?: number | null } | null | undefined;

export function stampMs(ts: Stamp): number {
  if (!ts) return NaN;
  const s = ts.seconds;
  const seconds = typeof s === 'number' ? s : s ? s.toNumber() : 0;
  return seconds * 1000 + (ts.nanos ?? 0) / 1e6;
}

export interface ActivityRun {
  type: string;
  queue: string;
  scheduledMs: number;
  startedMs: number;
  closedMs: number;
  attempt: number;
  ok: boolean;
}

export interface HistoryFacts {
  startMs: number;
  closeMs: number;
  events: number;
  workflowTasks: number;
  activities: ActivityRun[];
}

export function readHistory(events: HistoryEvent[]): HistoryFacts {
  const byId = new Map<string, ActivityRun>();
  let startMs = NaN;
  let closeMs = NaN;
  let workflowTasks = 0;
  for (const e of events) {
    const t = stampMs(e.eventTime as Stamp);
    const id = String(e.eventId);
    if (e.workflowExecutionStartedEventAttributes) startMs = t;
    if (e.workflowExecutionCompletedEventAttributes || e.workflowExecutionFailedEventAttributes || e.workflowExecutionContinuedAsNewEventAttributes) closeMs = t;
    if (e.workflowTaskCompletedEventAttributes) workflowTasks++;
    const sched = e.activityTaskScheduledEventAttributes;
    if (sched) {
      byId.set(id, { type: sched.activityType?.name ?? '?', queue: sched.taskQueue?.name ?? '?', scheduledMs: t, startedMs: NaN, closedMs: NaN, attempt: 1, ok: false });
    }
    const started = e.activityTaskStartedEventAttributes;
    if (started) {
      const a = byId.get(String(started.scheduledEventId));
      if (a) { a.startedMs = t; a.attempt = started.attempt ?? 1; }
    }
    const done = e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes ?? e.activityTaskTimedOutEventAttributes ?? e.activityTaskCanceledEventAttributes;
    if (done) {
      const a = byId.get(String(done.scheduledEventId));
      if (a) { a.closedMs = t; a.ok = !!e.activityTaskCompletedEventAttributes; }
    }
  }
  return { startMs, closeMs, events: events.length, workflowTasks, activities: [...byId.values()] };
}

/** The pipeline stage each activity belongs to (the workflow's own stage names). */
export const STAGE_OF: Record<string, string> = {
  prepareJob: 'prepare', extractAudio: 'extract', separateAudio: 'separate', transcribe: 'transcribe', importSubtitles: 'transcribe',
  translateLines: 'translate', analyzeProsody: 'expressive', condenseLines: 'synthesize', prepareVoices: 'synthesize', synthesizeLine: 'synthesize', dubLines: 'synthesize', reviseLine: 'synthesize', fitLine: 'synthesize',
  assembleDub: 'assemble', mixDub: 'mix', muxOutputs: 'mux', lipsync: 'lipsync', writeReport: 'report',
};
export const STAGES = ['prepare', 'extract', 'separate', 'transcribe', 'translate', 'expressive', 'synthesize', 'assemble', 'mix', 'mux', 'lipsync', 'report'];

export interface StageTime {
  stage: string;
  /** First activity scheduled → last activity closed. */
  sec: number;
  activities: number;
  /** Sum of the activities' own run times (started → closed). */
  activitySec: number;
  /** Mean time an activity of this stage waited in its queue (scheduled → started). */
  meanQueueWaitMs: number;
}

export function stageTimes(h: HistoryFacts): StageTime[] {
  const out: StageTime[] = [];
  for (const stage of STAGES) {
    const acts = h.activities.filter((a) => STAGE_OF[a.type] === stage);
    if (!acts.length) continue;
    const from = Math.min(...acts.map((a) => a.scheduledMs));
    const to = Math.max(...acts.map((a) => a.closedMs));
    out.push({
      stage,
      sec: (to - from) / 1000,
      activities: acts.length,
      activitySec: acts.reduce((s, a) => s + (a.closedMs - a.startedMs), 0) / 1000,
      meanQueueWaitMs: acts.reduce((s, a) => s + (a.startedMs - a.scheduledMs), 0) / acts.length,
    });
  }
  return out;
}

export type Interval = [number, number];

/** Total length of the union of intervals, clipped to [from, to]. */
export function unionMs(intervals: Interval[], from = -Infinity, to = Infinity): number {
  const xs = intervals
    .map(([a, b]) => [Math.max(a, from), Math.min(b, to)] as Interval)
    .filter(([a, b]) => b > a)
    .sort((p, q) => p[0] - q[0]);
  let total = 0;
  let cur: Interval | undefined;
  for (const x of xs) {
    if (cur && x[0] <= cur[1]) cur[1] = Math.max(cur[1], x[1]);
    else {
      if (cur) total += cur[1] - cur[0];
      cur = [...x];
    }
  }
  return total + (cur ? cur[1] - cur[0] : 0);
}

export interface Overhead {
  /** Client process start → exit. */
  wallSec: number;
  /** Time with at least one engine running: our approximation of the subprocess time on the critical path. */
  engineCriticalSec: number;
  overheadSec: number;
  overheadPct: number;
  /** Where the overhead went. */
  clientSideSec: number;      // client start/connect/result, outside the workflow's own start → close
  betweenActivitiesSec: number; // inside the workflow, no activity running: queue waits and workflow tasks
  insideActivitiesSec: number;  // an activity running but no engine: our own code (hashing, file I/O, WAV cutting/assembly)
}

/**
 * `engines` are the engine commands' [start, end] (end stamped when its record appeared in commands.jsonl,
 * start = end − recorded wall time). Every stage ends before the next begins, so at any instant where some
 * engine runs the job is progressing on its critical path; instants where none runs are overhead.
 */
export function overheadOf(clientStartMs: number, clientEndMs: number, h: HistoryFacts, engines: Interval[]): Overhead {
  const wall = clientEndMs - clientStartMs;
  const engine = unionMs(engines, clientStartMs, clientEndMs);
  const acts: Interval[] = h.activities.map((a) => [a.startedMs, a.closedMs]);
  const activityUnion = unionMs(acts, h.startMs, h.closeMs);
  const workflowSec = h.closeMs - h.startMs;
  const overhead = wall - engine;
  return {
    wallSec: wall / 1000,
    engineCriticalSec: engine / 1000,
    overheadSec: overhead / 1000,
    overheadPct: (100 * overhead) / wall,
    clientSideSec: (wall - workflowSec) / 1000,
    betweenActivitiesSec: (workflowSec - activityUnion) / 1000,
    insideActivitiesSec: (activityUnion - unionMs(engines, h.startMs, h.closeMs)) / 1000,
  };
}

// The running activity's context, for the engine clients that heartbeat and honour cancellation themselves
// (the warm engine host, the chat-completions client). Here, below activities/, so engines never import upward.
import { Context } from '@temporalio/activity';

/** The running activity's context; undefined outside an activity (CLI doctor, tests, benchmarks). */
export function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/** A warning in the activity's log; outside an activity (tests, the CLI) the caller's own record has to do. */
export function logWarning(message: string): void {
  activityContext()?.log.warn(message);
}

/** Often enough for any heartbeat timeout we set (the SDK throttles what reaches the server). */
export const HEARTBEAT_EVERY_MS = 1_000;

export interface HeartbeatOptions {
  everyMs?: number;
  /** What each beat records; absent: nothing. Work that must not erase a previous attempt's progress passes it on. */
  details?: () => unknown;
}

/**
 * Heartbeats while work that has no steps of its own runs (a program, a download, a model's answer), so a long wait
 * is not taken for a dead worker. Outside an activity (ctx undefined) it does nothing. Returns the stop.
 */
export function startHeartbeat(ctx: Context | undefined, opts: HeartbeatOptions = {}): () => void {
  if (!ctx) return () => {};
  const beat = setInterval(() => (opts.details ? ctx.heartbeat(opts.details()) : ctx.heartbeat()), opts.everyMs ?? HEARTBEAT_EVERY_MS);
  return () => clearInterval(beat);
}

/** `work` with startHeartbeat around it. */
export async function whileHeartbeating<T>(ctx: Context | undefined, work: () => Promise<T>, opts: HeartbeatOptions = {}): Promise<T> {
  const stop = startHeartbeat(ctx, opts);
  try {
    return await work();
  } finally {
    stop();
  }
}

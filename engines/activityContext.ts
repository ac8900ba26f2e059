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

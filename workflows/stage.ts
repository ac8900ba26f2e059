// One step of a job's workflow, as dubJob and streamDub show it: the progress stage entered, the workflow's current
// details and its DubStage search attribute set, and an activity's typed failure surfaced as the job's own
// ("InvalidMedia: …" rather than "Activity task failed").
import { ActivityFailure, ApplicationFailure, isCancellation, setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import { DubStageKey } from '../lib/searchAttributes.js';

export interface StageHooks<S extends string> {
  /** The progress query's stage. */
  enter(name: S): void;
  /** The progress query hears why the job failed. */
  failed?(message: string): void;
  /** Tag a failed job's DubStage as `failed` (dubJob; streamDub's 1.0 history never did, so it does not). */
  tagFailed: boolean;
}

export type StageFn<S extends string> = <T>(name: S, work: () => Promise<T>) => Promise<T>;

/** `tagged` = the job keeps the DubStage search attribute current (input.searchAttributes, on by default). */
export function stageRunner<S extends string>(hooks: StageHooks<S>, tagged: boolean): StageFn<S> {
  return async <T>(name: S, work: () => Promise<T>): Promise<T> => {
    hooks.enter(name);
    setCurrentDetails(`Stage: ${name}`);
    if (tagged) upsertSearchAttributes([{ key: DubStageKey, value: name }]);
    try {
      return await work();
    } catch (err) {
      if (isCancellation(err)) throw err;
      const cause = err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause : err;
      hooks.failed?.(cause instanceof Error ? cause.message : String(cause));
      if (tagged && hooks.tagFailed) upsertSearchAttributes([{ key: DubStageKey, value: 'failed' }]);
      throw cause;
    }
  };
}

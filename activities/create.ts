// The activities a worker registers, bound to the stores it opened (the Temporal samples' createActivities shape).
// The stages that reach a store take it as their last argument; the rest are registered as they are.
import * as activities from './index.js';
import type { PreparedJob } from '../lib/job.js';
import type { WorkerStores } from '../storage/workerStores.js';

type Args<F extends (...a: never[]) => unknown> = Parameters<F>;

export function createActivities(stores: WorkerStores) {
  return {
    ...activities,
    prepareJob: (input: unknown) => activities.prepareJob(input, stores),
    releaseJob: (prep: PreparedJob) => activities.releaseJob(prep, stores),
    translateLines: (...[prep, lines]: Args<typeof activities.translateLines>) => activities.translateLines(prep, lines, stores),
    prepareVoices: (...[prep, audio, lines]: Args<typeof activities.prepareVoices>) => activities.prepareVoices(prep, audio, lines, stores),
  };
}

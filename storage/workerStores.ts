// The stores a worker opened for its activities (storage/artifactStore.ts, storage/jobMirror.ts). The worker hands
// them to createActivities (activities/create.ts), which passes them to the stages that use them: no module-level
// store, so two workers in one process (as in the tests) never share one by accident.
import type { ArtifactStore } from './artifactStore.js';
import type { JobFolderMirror } from './jobMirror.js';

export interface WorkerStores {
  /** The artifact store (a shared folder or S3): prepareJob fetches a job's stored inputs through it. */
  store?: ArtifactStore;
  /** With the s3 store: job folder and series locks live in the store, and series folders are pulled through it. */
  mirror?: JobFolderMirror;
}

/** A process with no store of its own (a shared-folder worker, a test calling a stage directly). */
export const NO_STORES: WorkerStores = {};

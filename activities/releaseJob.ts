// The releaseJob activity: the job's end, however it ended, frees its folder for the next job.
import { activityContext } from '../engines/activityContext.js';
import type { PreparedJob } from '../lib/job.js';
import { jobDir } from '../storage/artifacts.js';
import { unlockFolder } from '../storage/jobFolder.js';
import { NO_STORES, type WorkerStores } from '../storage/workerStores.js';


/** The job's end, however it ended: the folder is free for the next job. */
export async function releaseJob(prep: PreparedJob, stores: WorkerStores = NO_STORES): Promise<void> {
  const workflowId = activityContext()?.info.workflowExecution?.workflowId;
  if (workflowId) await unlockFolder(jobDir(prep.job), workflowId, stores.mirror?.lockSlot(jobDir(prep.job), '.lock'));
}

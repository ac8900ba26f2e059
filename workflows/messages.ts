// The messages a job answers, defined once for the workflows that handle them and the clients that send them.
// The shapes they carry are plain data in lib/ (progress.ts, review.ts, streamProgress.ts).
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { TranslatedLine } from '../lib/job.js';
import type { Progress } from '../lib/progress.js';
import type { EditLineRequest } from '../lib/review.js';

/** Query `progress`: a dubJob answers Progress; a streamDub and each chunk answer their own shapes (lib/streamProgress.ts). */
export const progressQuery = defineQuery<Progress>('progress');
/** Update: change one line while the job waits for review (rejected with a reason when the edit is bad). */
export const editLineUpdate = defineUpdate<TranslatedLine, [EditLineRequest]>('editLine');
/** Signal: the review is done; the job goes on to synthesis. */
export const approveSignal = defineSignal('approve');

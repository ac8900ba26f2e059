// Persists the review edits made through Temporal (editLine Updates) next to the job's other artifacts.
import type { PreparedJob } from '../lib/job.js';
import type { ReviewOverrides } from '../lib/review.js';
import { inJob, writeAtomic } from '../storage/artifacts.js';
import { REVIEW_FILE } from '../lib/artifactNames.js';

export { REVIEW_FILE };

export async function saveReview(prep: PreparedJob, overrides: ReviewOverrides): Promise<string> {
  await writeAtomic(prep.job, inJob(prep.job, REVIEW_FILE), JSON.stringify(overrides, null, 2));
  return REVIEW_FILE;
}

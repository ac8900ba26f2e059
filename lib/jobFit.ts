// The fit limits every line of a job gets, settled once by prepareJob (PreparedJob.fit): the job's fit options,
// with --fit-video auto's speech cap as the fastest speed (what is left over becomes a slowed span of the picture,
// not a faster voice). Condensing, synthesis, the fit and the report read them here; options.fit keeps saying
// what the job asked for.
import type { JobOptions } from '../config/schema.js';
import type { PreparedJob } from './job.js';

export type FitLimits = JobOptions['fit'];

/** The job's fit options, its fastest speed capped by --fit-video auto's speech cap. */
export function settleFit<F extends { maxSpeed: number }>(options: { fit: F; fitVideo?: { mode: string; speechSpeed: number } }): F {
  const fv = options.fitVideo;
  if (!fv || fv.mode !== 'auto' || options.fit.maxSpeed <= fv.speechSpeed) return options.fit;
  return { ...options.fit, maxSpeed: fv.speechSpeed };
}

/** A job's settled fit limits (a PreparedJob from before they were settled: settled here the same way). */
export function fitOf(prep: Pick<PreparedJob, 'options' | 'fit'>): FitLimits {
  return prep.fit ?? settleFit(prep.options);
}

/** What is left for the fit once the engine spoke faster by its own rate knob: speed-ups multiply. */
export function fitAfterEngineRate<F extends { maxSpeed: number }>(fit: F, engineRate: number): F {
  return engineRate > 1 ? { ...fit, maxSpeed: Math.max(1, fit.maxSpeed / engineRate) } : fit;
}

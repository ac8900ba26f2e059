// Chaos: kill -9 the worker at seeded points in the first half of a dub job (prepare … synthesize), restart it,
// and check the job completes with the same result as an undisturbed run (test/chaos/killTrials.ts).
import { killTrials } from './killTrials.js';

killTrials(1, 5);

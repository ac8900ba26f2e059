// Chaos: kill -9 the worker at seeded points in the second half of a dub job (synthesize … report), restart it,
// and check the job completes with the same result as an undisturbed run (test/chaos/killTrials.ts).
import { killTrials } from './killTrials.js';

// The lines come from the clip's script (subtitles): every kill here lands after recognition.
killTrials(6, 10, 'script');

// Every activity, registered on every activity worker; config decides which queue each is called on.
export { prepareJob } from './prepareJob.js';
export { extractAudio } from './extractAudio.js';
export { releaseJob } from './releaseJob.js';
export { transcribe } from './transcribe.js';
export { importSubtitles } from './importSubtitles.js';
export { translateLines } from './translate.js';
export { prepareVoices } from './voices.js';
export { analyzeProsody } from './prosody.js';
export { condenseLines } from './condense.js';
// dubLines synthesizes, revises and fits a batch of lines in one activity (synthesizeLine, reviseLine and
// fitLine are its steps, not activities of their own).
export { dubLines } from './dubLines.js';
export { assembleDub, separateAudio, mixDub } from './mix.js';
export { muxOutputs } from './mux.js';
export { writeReport } from './report.js';
export { lipsync } from './lipsync.js';
export { planStream, cutChunk, transcribeChunk, muxChunk, fallbackChunk, publishStream, stitchStream } from './stream.js';
export { saveReview } from './review.js';
export { readLinePage, applyEdits } from './lineSets.js';

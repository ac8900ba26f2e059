// A Whisper transcript → dub lines on the voice's edges: hallucinations dropped against the voiced stretches, long
// segments cut at pauses and where the speaker changes, then every line snapped to the voice (lib/speechRegions.ts).
// One function, so the recognition stage and scripts/measureEdges.ts measure the very same lines.
import type { Line } from './job.js';
import { guardSegments, type DroppedSegment, type GuardSegment } from './hallucinationGuard.js';
import { splitAtPauses, splitAtSpeakerChanges, type LabelledSpan, type WordedSegment } from './pauseSplit.js';
import { SNAP, snapToSpeech, type Region, type SnapOptions } from './speechRegions.js';

export interface VoicedLinesOptions {
  noSpeechThreshold: number;
  /** A pause between words at least this long ends a sentence's line (asr.minSilenceSec). */
  minSilenceSec: number;
  durationSec: number;
  /** How lines are snapped to the voice (measuring only; SNAP by default). */
  snap?: SnapOptions;
}

export function voicedLines(segments: readonly (GuardSegment & WordedSegment)[], speech: readonly Region[], turns: readonly LabelledSpan[], opts: VoicedLinesOptions): { lines: Line[]; dropped: DroppedSegment[] } {
  const { kept, dropped } = guardSegments(segments, speech, { noSpeechThreshold: opts.noSpeechThreshold });
  const lines: Line[] = snapToSpeech(splitAtSpeakerChanges(splitAtPauses(kept, opts.minSilenceSec, turns), turns), speech, opts.snap ?? SNAP)
    .map((s) => ({ ...s, start: Math.max(0, s.start), end: Math.min(s.end, opts.durationSec) }))
    .filter((s) => s.end > s.start) // Whisper's last window can run past the end of the audio
    .map((s, index) => ({ index, start: s.start, end: s.end, text: s.text, ...(s.words.length ? { words: s.words } : {}) }));
  return { lines, dropped };
}

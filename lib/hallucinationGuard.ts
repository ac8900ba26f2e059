// Whisper invents text where there is none: "Thank you for watching." over a silent credit roll, or the last
// line again and again through a pause. These rules drop such segments before they become dubbed lines, and
// say which were dropped and why (transcript.json keeps the list).
import type { Region } from './speechRegions.js';

export interface GuardSegment {
  start: number;
  end: number;
  text: string;
  noSpeechProb?: number;
  avgLogprob?: number;
}

export type DropReason = 'empty' | 'no-speech' | 'repeat' | 'silence';

export interface DroppedSegment {
  start: number;
  end: number;
  text: string;
  reason: DropReason;
}

export interface GuardOptions {
  /** Whisper's own default: a segment more likely silence than this is suspect... */
  noSpeechThreshold: number;
  /** ...and is dropped when the decoder was also unsure of its words (Whisper's logprob_threshold, -1). */
  logprobThreshold?: number;
  /** Below this share of its length over detected speech, a segment is over silence. */
  silentOverlap?: number;
  /** A repeat of the previous segment's text is dropped when less than this share of it is over speech. */
  repeatOverlap?: number;
}

export interface GuardResult<S extends GuardSegment> {
  kept: S[];
  dropped: DroppedSegment[];
}

/** Lower case, no punctuation, single spaces: "Thank you." and "thank you" are the same phrase. */
export function normalizePhrase(text: string): string {
  return text.toLowerCase().replace(/[^\p{L}\p{N}\s']/gu, ' ').replace(/\s+/g, ' ').trim();
}

/** Share of [start, end] covered by the speech regions (regions sorted, not overlapping). */
export function speechShare(start: number, end: number, speech: readonly Region[]): number {
  const len = end - start;
  if (len <= 0) return speech.some((r) => r.start <= start && start <= r.end) ? 1 : 0;
  let covered = 0;
  for (const r of speech) covered += Math.max(0, Math.min(end, r.end) - Math.max(start, r.start));
  return Math.min(1, covered / len);
}

/**
 * Keep the segments that hold speech. Rules, first match wins:
 * - empty: no text;
 * - no-speech: no-speech probability ≥ threshold and average log-probability < logprobThreshold (the rule
 *   Whisper applies itself, which its fallback decoding can bypass);
 * - repeat: the same phrase as the segment before it, mostly over silence (without speech regions: the third
 *   and later of a run of the same phrase);
 * - silence: (almost) nothing of it over detected speech, so there is nothing there to dub.
 * `speech` are the energy-detected speech regions of the same audio; undefined when unknown.
 */
export function guardSegments<S extends GuardSegment>(segments: readonly S[], speech: readonly Region[] | undefined, opts: GuardOptions): GuardResult<S> {
  const logprobThreshold = opts.logprobThreshold ?? -1;
  const silentOverlap = opts.silentOverlap ?? 0.1;
  const repeatOverlap = opts.repeatOverlap ?? 0.5;
  const kept: S[] = [];
  const dropped: DroppedSegment[] = [];
  let previous = '';
  let run = 0;
  for (const s of segments) {
    const phrase = normalizePhrase(s.text);
    run = phrase && phrase === previous ? run + 1 : 1;
    previous = phrase;
    const share = speech ? speechShare(s.start, s.end, speech) : undefined;
    let reason: DropReason | undefined;
    if (!phrase) reason = 'empty';
    else if (s.noSpeechProb !== undefined && s.noSpeechProb >= opts.noSpeechThreshold && (s.avgLogprob ?? -Infinity) < logprobThreshold) reason = 'no-speech';
    else if (run > 1 && (share !== undefined ? share < repeatOverlap : run > 2)) reason = 'repeat';
    else if (share !== undefined && share < silentOverlap) reason = 'silence';
    if (reason) dropped.push({ start: s.start, end: s.end, text: s.text, reason });
    else kept.push(s);
  }
  return { kept, dropped };
}

/** How many were dropped for each reason (for transcript.json and the log). */
export function countByReason(dropped: readonly DroppedSegment[]): Partial<Record<DropReason, number>> {
  const out: Partial<Record<DropReason, number>> = {};
  for (const d of dropped) out[d.reason] = (out[d.reason] ?? 0) + 1;
  return out;
}

// Time-stretch filters of ffmpeg: rubberband (librubberband, better on speech: no warble at 1.2×) when this
// ffmpeg was built with it, else the built-in atempo.
import { atempoChain } from '../lib/timingFit.js';

export type StretchFilter = 'atempo' | 'rubberband';

export const FILTER_LIST_ARGV = ['ffmpeg', '-hide_banner', '-filters'];

/** `ffmpeg -filters` rows read " ..C rubberband  A->A  Apply time-stretching…". */
export function listsFilter(listing: string, name: string): boolean {
  return new RegExp(`^\\s*[.A-Z|]{2,3}\\s+${name}\\s`, 'm').test(listing);
}

/** The filter chain that plays the clip `speed` times faster (speed < 1 slows it down). */
export function stretchFilters(speed: number, filter: StretchFilter): string[] {
  if (Math.abs(speed - 1) <= 1e-4) return [];
  // channels=together keeps the stereo image (both channels carry the same voice); pitchq=quality favours voice.
  if (filter === 'rubberband') return [`rubberband=tempo=${speed.toFixed(4)}:pitchq=quality:channels=together`];
  return atempoChain(speed);
}

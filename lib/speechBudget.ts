// How much text a job may ask to be spoken: bounded by the time it has. A line gets a fixed allowance plus a
// fast talker's rate over its slot, and a whole script the same over the input's duration (with room for
// speakers talking over each other), so one huge cue or 100,000 tiny ones cannot turn a short video into
// gigabytes of speech. Pure: import, synthesis and the tests share it.

/** Characters any line may hold, however short its slot (a two-row subtitle is under 100). */
export const BASE_CHARS = 200;
/** Characters per second of slot: about three times the fastest dubbed speech. */
export const CHARS_PER_SECOND = 40;
/** Lines per second of input across a whole script (an anime episode has about 0.2). */
export const LINES_PER_SECOND = 4;
/** Speakers talking at once that the script budget allows for. */
export const OVERLAP = 2;

export const maxCharsForSlot = (slotSec: number) => Math.floor(BASE_CHARS + CHARS_PER_SECOND * Math.max(0, slotSec) + 1e-6);

const clock = (sec: number) => {
  const s = Math.max(0, sec);
  return `${String(Math.floor(s / 3600)).padStart(2, '0')}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${(s % 60).toFixed(3).padStart(6, '0')}`;
};

/** Why a line's text is too long for its slot (undefined = fine); names the line by number and time, never by text. */
export function lineTextProblem(line: { index: number; start: number; end: number }, text: string, what = 'line'): string | undefined {
  const slot = line.end - line.start;
  const max = maxCharsForSlot(slot);
  const chars = [...text].length;
  if (chars <= max) return undefined;
  return `${what} ${line.index + 1} (at ${clock(line.start)}) holds ${chars} characters for a ${slot.toFixed(1)} s slot; a line of that length holds at most ${max}`;
}

/** Why a whole script is more than the input's duration can carry (undefined = fine). */
export function scriptProblem(lines: readonly { index: number; start: number; end: number; text: string }[], durationSec: number): string | undefined {
  const maxLines = Math.ceil(50 + LINES_PER_SECOND * durationSec);
  if (lines.length > maxLines) return `${lines.length} lines for a ${durationSec.toFixed(1)} s input; at most ${maxLines} can be voiced in it`;
  for (const l of lines) {
    const problem = lineTextProblem(l, l.text);
    if (problem) return problem;
  }
  const total = lines.reduce((n, l) => n + [...l.text].length, 0);
  const maxTotal = Math.floor(10 * BASE_CHARS + CHARS_PER_SECOND * OVERLAP * durationSec);
  if (total > maxTotal) return `${total} characters of speech for a ${durationSec.toFixed(1)} s input; at most ${maxTotal}`;
  return undefined;
}

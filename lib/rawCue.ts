// One subtitle cue as the file has it, before anyone decides what it is (formats/subtitles.ts makes them;
// lib/subtitleEvents.ts and lib/songEvents.ts classify them).
/** What the ASS event says about itself (formats/subtitles.ts reads it; classification below decides on it). */
export interface AssTraits {
  style: string;
  effect: string;
  karaoke: boolean;
  drawing: boolean;
  positioned: boolean;
  moving: boolean;
  /** \t, \fad, \fade, \frx/\fry, \fscx/\fscy: animated or transformed, as effects are. */
  animated?: boolean;
  layer?: number;
}

/** One cue as the file has it (rows joined by \n, markup removed), before classification. */
export interface RawCue {
  start: number;
  end: number;
  text: string;
  speaker?: string;
  /** 1-based line of the file where the cue (its timing line, its ASS event) is. */
  line: number;
  comment?: boolean;
  ass?: AssTraits;
}

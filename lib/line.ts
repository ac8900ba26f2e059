// One spoken line and its words: the unit every stage passes on (job.ts re-exports it; voices.ts reads it without
// reaching back into job.ts).
export interface Word {
  text: string;
  start: number;
  end: number;
}

/** One spoken line of the source (seconds from the start of the video). */
export interface Line {
  index: number;
  start: number;
  end: number;
  text: string;
  speaker?: string;
  words?: Word[];
}

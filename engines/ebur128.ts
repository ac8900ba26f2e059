// ffmpeg's ebur128 filter (EBU R128 loudness): argv and a parser for its per-frame lines and its summary.

export interface LoudnessFrame {
  /** Seconds from the start. */
  t: number;
  /** Momentary loudness (400 ms window), LUFS. */
  momentary: number;
  /** Short-term loudness (3 s window), LUFS. */
  shortTerm: number;
}

export interface LoudnessSummary {
  integratedLufs: number;
  loudnessRangeLu: number;
  /** Highest true peak over all channels, dBTP (4x oversampled, as ffmpeg measures it). */
  truePeakDb: number;
  /** Highest sample peak, dBFS: measured instead of the true peak when that is not needed (half the cost). */
  samplePeakDb?: number;
  frames: LoudnessFrame[];
}

/**
 * One decode of one audio stream; frames are logged at info level so they need no `-v verbose` (which would
 * bury them in every other filter's chatter). `audioStream` picks the file's n-th audio stream (the dub is 0).
 */
export function ebur128Argv(input: string, audioStream = 0, peak: 'true' | 'sample' = 'true'): string[] {
  return [
    'ffmpeg', '-nostdin', '-hide_banner', '-nostats', '-v', 'info', '-i', input,
    '-map', `0:a:${audioStream}`, '-af', `ebur128=peak=${peak}:framelog=info`, '-f', 'null', '-',
  ];
}

/** Digital silence reads as -inf, or as nan in the per-frame lines (ffmpeg 5 and 6): both mean "nothing heard". */
const num = (s: string | undefined): number => (s === undefined || /^-?(inf|nan)$/i.test(s) ? -Infinity : Number(s));

const LEVEL = String.raw`(-?[\d.]+|-?inf|-?nan)`;
const FRAME_RE = new RegExp(String.raw`\bt:\s*([\d.]+)\s+TARGET:\s*-?[\d.]+ LUFS\s+M:\s*${LEVEL}\s+S:\s*${LEVEL}`);

/** Parses ebur128's stderr; throws when the summary is missing (the filter did not run to the end). */
export function parseEbur128(stderr: string): LoudnessSummary {
  const frames: LoudnessFrame[] = [];
  for (const line of stderr.split('\n')) {
    const m = line.match(FRAME_RE);
    if (m) frames.push({ t: Number(m[1]), momentary: num(m[2]), shortTerm: num(m[3]) });
  }
  const at = stderr.lastIndexOf('Summary:');
  if (at < 0) throw new Error('ebur128 printed no summary');
  const summary = stderr.slice(at);
  const integrated = summary.match(/Integrated loudness:\s*\n\s*I:\s*(-?[\d.]+|-?inf) LUFS/);
  const range = summary.match(/Loudness range:\s*\n\s*LRA:\s*(-?[\d.]+) LU/);
  const peak = summary.match(/True peak:\s*\n\s*Peak:\s*(-?[\d.]+|-?inf) dBFS/);
  const sample = summary.match(/Sample peak:\s*\n\s*Peak:\s*(-?[\d.]+|-?inf) dBFS/);
  if (!integrated) throw new Error('ebur128 summary has no integrated loudness');
  return {
    integratedLufs: num(integrated[1]),
    loudnessRangeLu: range ? Number(range[1]) : 0,
    truePeakDb: peak ? num(peak[1]) : -Infinity,
    ...(sample ? { samplePeakDb: num(sample[1]) } : {}),
    frames,
  };
}

/** A measurement as JSON that keeps silence: JSON has no -Infinity (it would come back as null). */
export const loudnessToJson = (s: LoudnessSummary): string => JSON.stringify(s, (_, v) => (v === -Infinity ? '-inf' : v));
export const loudnessFromJson = (text: string): LoudnessSummary => JSON.parse(text, (_, v) => (v === '-inf' ? -Infinity : v)) as LoudnessSummary;

/** Every `stepSec` one frame (ebur128 logs ten a second): enough for a curve, small enough for report.json. */
export function thinFrames(frames: readonly LoudnessFrame[], stepSec = 0.5): LoudnessFrame[] {
  const out: LoudnessFrame[] = [];
  let next = 0;
  for (const f of frames) {
    if (f.t + 1e-6 >= next) {
      out.push(f);
      next = f.t + stepSec;
    }
  }
  return out;
}

// The shape of the `progress` query (workflows/messages.ts): what a person (CLI bar, Temporal UI, a program) sees of a running job.

export const STAGES = [
  'queued', 'prepare', 'extract', 'separate', 'transcribe', 'translate', 'review', 'expressive', 'synthesize', 'assemble', 'mix', 'mux', 'lipsync', 'report', 'done', 'failed',
] as const;
export type Stage = (typeof STAGES)[number];

export interface Progress {
  stage: Stage;
  linesDone: number;
  linesTotal: number;
  percent: number;
  outputs: Record<string, string>;
  error?: string;
}

/** Rough share of the whole job each stage takes, so the bar moves evenly. */
const WEIGHT: Record<Stage, [from: number, to: number]> = {
  queued: [0, 0], prepare: [0, 2], extract: [2, 5], separate: [5, 6], transcribe: [6, 25], translate: [25, 28], review: [28, 28], expressive: [28, 30],
  synthesize: [30, 80], assemble: [80, 84], mix: [84, 90], mux: [90, 96], lipsync: [96, 98], report: [98, 100], done: [100, 100],
  failed: [0, 0],
};

export class ProgressTracker {
  private state: Progress = { stage: 'queued', linesDone: 0, linesTotal: 0, percent: 0, outputs: {} };

  enter(stage: Stage): void {
    this.state.stage = stage;
    this.recompute();
  }
  lines(done: number, total: number): void {
    this.state.linesDone = done;
    this.state.linesTotal = total;
    this.recompute();
  }
  output(name: string, path: string): void {
    this.state.outputs[name] = path;
  }
  fail(message: string): void {
    this.state.error = message;
    this.state.stage = 'failed';
  }
  snapshot(): Progress {
    return { ...this.state, outputs: { ...this.state.outputs } };
  }
  private recompute(): void {
    const [from, to] = WEIGHT[this.state.stage];
    const within = this.state.stage === 'synthesize' && this.state.linesTotal > 0 ? this.state.linesDone / this.state.linesTotal : 0;
    this.state.percent = Math.round(from + (to - from) * within);
  }
}

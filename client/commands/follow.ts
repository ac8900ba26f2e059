// Following a job: the live progress bar (or one line per stage off a terminal) and the printed outputs.
// Folders, file names, stages and reasons come from the job: printed with control characters made visible.
import path from 'node:path';
import cliProgress from 'cli-progress';
import type { DubJobResult } from '../../lib/job.js';
import { getProgress, waitForResult } from '../api.js';
import type { StreamDubResult } from '../../workflows/streamDub.js';
import { isStreamProgress } from '../../lib/streamProgress.js';
import { qaSummaryLines } from '../qaSummary.js';
import { waitingNote, type JobQueues } from '../queueHealth.js';
import { chunkWorkflowId } from '../../workflows/ids.js';
import { printable, printableLines } from '../terminalText.js';
import { jobLink, type Ctx } from './context.js';
export function printResult(ctx: Ctx, id: string, result: DubJobResult | StreamDubResult): void {
  if ('manifest' in result) {
    console.log(`\nStreamed ${result.chunks} chunks (${result.failed} failed) → ${printable(result.outputDir)}/stream`);
    if (result.timeToFirstChunkSec !== undefined) console.log(`  first chunk ready after ${result.timeToFirstChunkSec.toFixed(1)} s`);
    for (const rel of [result.manifest, result.playlist, result.final]) if (rel) console.log(`  ${printable(path.join(result.outputDir, rel))}`);
    if (result.failed) console.log(`  ${result.failed} chunk(s) kept the original audio; see the manifest for why`);
    const link = jobLink(ctx, id);
    if (link) console.log(`Temporal UI: ${link}`);
    return;
  }
  console.log(`\nDubbed ${result.lines} lines (${result.durationSec.toFixed(1)} s) → ${printable(result.outputDir)}`);
  for (const [name, rel] of Object.entries(result.outputs)) console.log(`  ${printable(name).padEnd(10)} ${printable(path.join(result.outputDir, rel))}`);
  if (result.lipsync?.status === 'skipped') console.log(`Lip-sync skipped (${printable(String(result.lipsync.plugin))}): ${printableLines(String(result.lipsync.reason))}. The dub above has the original video.`);
  for (const line of qaSummaryLines(result)) console.log(printableLines(line));
  const link = jobLink(ctx, id);
  if (link) console.log(`Temporal UI: ${link}`);
}

/** Live progress: a bar on a terminal, one line per stage change otherwise (CI logs stay readable). */
export async function follow(ctx: Ctx, id: string): Promise<DubJobResult | StreamDubResult> {
  const tty = process.stderr.isTTY;
  const bar = tty ? new cliProgress.SingleBar({ format: ' {stage} |{bar}| {percentage}% | lines {lines}', hideCursor: true, stream: process.stderr }, cliProgress.Presets.shades_classic) : undefined;
  bar?.start(100, 0, { stage: 'queued'.padEnd(10), lines: '-' });
  let lastStage = '';
  let lastDone = -1;
  let lastNote: string | undefined;
  const queues = (await ctx.client.workflow.getHandle(id).describe().catch(() => undefined))?.memo?.queues as JobQueues | undefined;
  const watchQueues = setInterval(async () => {
    const note = await waitingNote(ctx.client, ctx.settings.temporal.namespace, queues).catch(() => undefined);
    if (note && note !== lastNote) process.stderr.write(`\n${printableLines(note)}\n`);
    lastNote = note;
  }, 10_000);
  const poll = setInterval(async () => {
    const p = await getProgress(ctx.client, id).catch(() => undefined);
    if (!p) return;
    if (isStreamProgress(p)) {
      const lowest = p.running.length ? Math.min(...p.running) : undefined;
      const child = lowest === undefined ? undefined : await getProgress(ctx.client, chunkWorkflowId(id, lowest)).catch(() => undefined);
      const chunks = `${p.chunksDone}/${p.chunksTotal}${p.chunksFailed ? ` (${p.chunksFailed} failed)` : ''}${lowest !== undefined ? `, chunk ${lowest}: ${child?.stage ?? '…'}` : ''}`;
      if (bar) bar.update(p.percent, { stage: printable(p.stage).padEnd(10), lines: printable(chunks) });
      else if (p.stage !== lastStage || p.chunksDone !== lastDone) process.stderr.write(`[${p.percent}%] ${printable(p.stage)} chunks ${printable(chunks)}\n`);
      lastStage = p.stage;
      lastDone = p.chunksDone;
      return;
    }
    const lines = p.linesTotal ? `${p.linesDone}/${p.linesTotal}` : '-';
    if (bar) bar.update(p.percent, { stage: printable(p.stage).padEnd(10), lines });
    else if (p.stage !== lastStage) process.stderr.write(`[${p.percent}%] ${printable(p.stage)}${p.linesTotal ? ` (lines ${lines})` : ''}\n`);
    lastStage = p.stage;
  }, 500);
  try {
    const result = await waitForResult(ctx.client, id);
    bar?.update(100, { stage: 'done'.padEnd(10) });
    return result;
  } finally {
    clearInterval(poll);
    clearInterval(watchQueues);
    bar?.stop();
  }
}

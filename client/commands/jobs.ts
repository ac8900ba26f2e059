// Commands about jobs already started: status, result, cancel, list.
import { cancelJob, failureMessage, getProgress, listJobs, waitForResult } from '../api.js';
import { isStreamProgress } from '../../lib/streamProgress.js';
import { waitingNote, type JobQueues } from '../queueHealth.js';
import { printable, printableLines } from '../terminalText.js';
import { context, fail, jobLink } from './context.js';
import { printResult } from './follow.js';
import { OutputsRefusedError, withLocalOutputs } from '../storedJobs.js';
import type { Command } from 'commander';

export function addJobCommands(program: Command): void {
  program
    .command('status')
    .description("a job's state, stage and line progress")
    .argument('<job>', 'workflow id')
    .action(async (id: string) => {
      const ctx = await context();
      const desc = await ctx.client.workflow.getHandle(id).describe().catch((e) => fail(`no job ${id}: ${e.message}`));
      const p = await getProgress(ctx.client, id).catch(() => undefined);
      console.log(`${printable(id)}: ${desc.status.name}`);
      if (p && isStreamProgress(p)) {
        console.log(`  stage ${printable(p.stage)}, ${p.percent}%, chunks ${p.chunksDone}/${p.chunksTotal}${p.chunksFailed ? ` (${p.chunksFailed} failed)` : ''}${p.running.length ? `, rendering ${p.running.join(', ')}` : ''}`);
        if (p.timeToFirstChunkSec !== undefined) console.log(`  first chunk after ${p.timeToFirstChunkSec.toFixed(1)} s`);
        for (const [k, v] of Object.entries(p.outputs)) console.log(`  ${printable(k).padEnd(10)} ${printable(v)}`);
      } else if (p) {
        console.log(`  stage ${printable(p.stage)}, ${p.percent}%${p.linesTotal ? `, lines ${p.linesDone}/${p.linesTotal}` : ''}`);
        if (p.error) console.log(`  error ${printableLines(p.error)}`);
        for (const [k, v] of Object.entries(p.outputs)) console.log(`  ${printable(k).padEnd(10)} ${printable(v)}`);
      }
      if (desc.status.name === 'RUNNING') {
        const note = await waitingNote(ctx.client, ctx.settings.temporal.namespace, (desc.memo as { queues?: JobQueues } | undefined)?.queues);
        if (note) console.log(`  ${printableLines(note)}`);
      }
      const link = jobLink(ctx, id);
      if (link) console.log(`  ${link}`);
      process.exit(0);
    });

  program
    .command('result')
    .description('wait for a job and print its outputs (non-zero exit if it failed)')
    .argument('<job>', 'workflow id')
    .action(async (id: string) => {
      const ctx = await context();
      // The outcome is Temporal's: an output the bucket no longer holds intact (or a damaged index object) never
      // makes a completed job "failed". Refused outputs exit 3, a failed job 1.
      const result = await waitForResult(ctx.client, id).catch((e: unknown) => fail(`job ${id} failed: ${failureMessage(e)}`));
      const local = await withLocalOutputs(ctx.settings, result, (line) => console.log(line)).catch((e: unknown) => fail(e instanceof OutputsRefusedError
        ? `job ${id}: ${e.message}`
        : `job ${id} completed, but its outputs could not be downloaded: ${e instanceof Error ? e.message : String(e)}`, 3));
      printResult(ctx, id, local);
      process.exit(0);
    });

  program
    .command('cancel')
    .description('cancel a job: its running engine is killed and the workflow ends cancelled')
    .argument('<job>', 'workflow id')
    .action(async (id: string) => {
      const ctx = await context();
      await cancelJob(ctx.client, id).catch((e) => fail(`cannot cancel ${id}: ${e.message}`));
      console.log(`cancel requested for ${printable(id)}`);
      process.exit(0);
    });

  program
    .command('list')
    .description('recent dub jobs (a Temporal visibility query may narrow it)')
    .option('--query <q>', "visibility query, e.g. \"DubStage = 'synthesize'\"")
    .option('--limit <n>', 'most jobs to show', '20')
    .action(async (o) => {
      const ctx = await context();
      const query = o.query ? `WorkflowType = 'dubJob' AND (${o.query})` : undefined;
      const jobs = await listJobs(ctx.client, query, Number(o.limit));
      if (!jobs.length) console.log('no jobs');
      // Ids, stages and file names come from job input: printed with control characters made visible.
      for (const j of jobs) {
        console.log(`${printable(j.workflowId)}  ${j.status.padEnd(10)} ${printable(j.stage ?? '').padEnd(10)} ${j.startTime.toISOString()}  ${printable(j.input ?? '')}`);
        const note = j.status === 'RUNNING' ? await waitingNote(ctx.client, ctx.settings.temporal.namespace, j.queues) : undefined;
        if (note) console.log(`  ${printableLines(note)}`);
      }
      process.exit(0);
    });
}

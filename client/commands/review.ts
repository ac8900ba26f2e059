// `anime-dub review`: list and edit a finished job's lines, then re-render only what changed.
import path from 'node:path';
import type { JobOptions } from '../../config/schema.js';
import type { DubJobResult } from '../../lib/job.js';
import { ALL_ROLES } from '../../workers/roles.js';
import { failureMessage, newJobId, startDubJob } from '../api.js';
import { printable, printableLines } from '../terminalText.js';
import { context, fail, jobFolder, workerLibrary } from './context.js';
import { follow, printResult } from './follow.js';
import type { Command } from 'commander';

export function addReviewCommand(program: Command): void {
  program
    .command('review')
    .description('review a finished job line by line and re-render only what you changed')
    .argument('<job>', 'workflow id or the job\'s output folder')
    .argument('[action]', 'list | edit | lock | unlock | retime | voice | render', 'list')
    .argument('[line]', 'line number (for edit, lock, unlock, retime, voice)')
    .option('--text <text>', 'edit: the new dub text')
    .option('--start <sec>', 'retime: new start')
    .option('--end <sec>', 'retime: new end')
    .option('--speaker <name>', 'voice: the speaker this line belongs to (recorded; per-speaker voices use it)')
    .addHelpText('after', `
Edits are kept in Output/<job>/review.json. "render" re-runs the job with them: only edited lines are
synthesized again (everything else is reused from the cache) and a new version is written
(<stem>.dub.v2.mp4, .v3, …); earlier versions stay.`)
    .action(async (job: string, action: string, line: string | undefined, o) => {
      const dir = await jobFolder(job);
      const { loadReview, nextVersion, reviewTable, saveEdit, setLock } = await import('../review.js');
      let state = await loadReview(dir).catch((e) => fail(e.message));
      const index = Number(line);
      const needLine = () => { if (line === undefined || !Number.isInteger(index)) fail(`${action} needs a line number (see \`anime-dub review ${job}\`)`, 2); };
      try {
        switch (action) {
          case 'list':
            break;
          case 'edit':
            needLine();
            if (o.text === undefined) fail('edit needs --text "…"', 2);
            state = { ...state, overrides: await saveEdit(state, index, { text: o.text }) };
            break;
          case 'retime':
            needLine();
            if (o.start === undefined && o.end === undefined) fail('retime needs --start and/or --end (seconds)', 2);
            state = { ...state, overrides: await saveEdit(state, index, { start: o.start === undefined ? undefined : Number(o.start), end: o.end === undefined ? undefined : Number(o.end) }) };
            break;
          case 'voice':
            needLine();
            if (!o.speaker) fail('voice needs --speaker NAME', 2);
            state = { ...state, overrides: await saveEdit(state, index, { speaker: o.speaker }) };
            break;
          case 'lock':
          case 'unlock':
            needLine();
            state = { ...state, overrides: await setLock(state, index, action === 'lock') };
            break;
          case 'render': {
            const version = await nextVersion(dir, path.basename(dir));
            if (state.dropped.length) {
              process.stderr.write(`ignoring ${state.dropped.join(', ')} from job.json: LLM endpoints are worker settings (MT_LLM_ENDPOINTS); using mt.llm.endpoint "${printable(String(state.options.mt?.llm?.endpoint ?? 'default'))}"\n`);
            }
            const options: JobOptions = { ...state.options, review: { pause: false, overrides: state.overrides, outputVersion: version } };
            const ctx = await context({ startServer: true });
            const workers = ctx.embedded ? await (await workerLibrary()).startWorkers(ctx.settings, ALL_ROLES, { handleSignals: false }) : undefined;
            const handle = await startDubJob(ctx.client, ctx.settings, options, `${newJobId(options.video)}-v${version}`);
            console.log(`Rendering version ${version} as job ${printable(handle.workflowId)}`);
            try {
              const result = await follow(ctx, handle.workflowId) as DubJobResult;
              printResult(ctx, handle.workflowId, result);
              console.log(`Re-synthesized ${result.resynthesized ?? '?'} of ${result.lines} lines; the rest were reused.`);
              await workers?.shutdown();
              process.exit(0);
            } catch (e) {
              process.stderr.write(`render failed: ${printableLines(failureMessage(e))}\n`);
              await workers?.shutdown().catch(() => {});
              process.exit(1);
            }
          }
          // falls through only on error (process.exit above)
          default:
            fail(`unknown review action "${action}": use list, edit, lock, unlock, retime, voice or render`, 2);
        }
      } catch (e) {
        fail((e as Error).message, 2);
      }
      console.log(printableLines(reviewTable(state)));
      process.exit(0);
    });
}

// What every command shares: settings, the Temporal target and client (starting the embedded server where asked),
// failing with a message, a job's UI link and its output folder.
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { loadSettings } from '../../config/load.js';
import type { Settings } from '../../config/schema.js';
import { connectClient } from '../api.js';
import { assertOurServer, ensureDevServer, stateDir, portOpen } from '../devServer.js';
import { resolveTemporalTarget, type TemporalTarget } from '../../config/connection.js';
import { existsSync } from 'node:fs';
import { printableLines } from '../terminalText.js';

/** The worker library (native core, every activity) loads only for commands that run a worker. */
export const workerLibrary = () => import('../../workers/startWorkers.js');

export interface Ctx { settings: Settings; target: TemporalTarget; embedded: boolean; uiUrl?: string; client: Client }

export async function context(opts: { startServer?: boolean } = {}): Promise<Ctx> {
  const settings = loadSettings();
  const target = resolveTemporalTarget(settings);
  const embedded = target.embedded;
  let uiUrl = process.env.TEMPORAL_UI_URL;
  if (embedded) {
    if (opts.startServer) {
      if (!(await portOpen(settings.temporal.serverPort))) process.stderr.write(`Starting the local Temporal server (state in ${stateDir(settings)})…\n`);
      uiUrl = (await ensureDevServer(settings)).uiUrl;
      if (settings.temporal.ui && !uiUrl) process.stderr.write('The local Temporal server is already running without its web UI; `anime-dub server stop`, then run again with --ui.\n');
    } else {
      if (!(await portOpen(settings.temporal.serverPort))) fail(`no local Temporal server is running on port ${settings.temporal.serverPort}; \`anime-dub run\` or \`anime-dub server start\` starts one`);
      // Whatever answers on the port must be the server this state dir started (another user's would get our jobs).
      await assertOurServer(settings).catch((e: Error) => fail(e.message));
      // Headless by default: a link only when a UI answers.
      if (await portOpen(settings.temporal.uiPort)) uiUrl = `http://127.0.0.1:${settings.temporal.uiPort}`;
    }
  }
  const client = await connectClient(target);
  return { settings, target, embedded, uiUrl, client };
}

export function fail(message: string, code = 1): never {
  process.stderr.write(`anime-dub: ${printableLines(message)}\n`);
  process.exit(code);
}

export function jobLink(ctx: Ctx, id: string): string | undefined {
  return ctx.uiUrl ? `${ctx.uiUrl}/namespaces/${ctx.target.namespace}/workflows/${encodeURIComponent(id)}` : undefined;
}

export async function jobFolder(job: string): Promise<string> {
  if (existsSync(job)) return path.resolve(job);
  const ctx = await context();
  const desc = await ctx.client.workflow.getHandle(job).describe().catch((e) => fail(`no job ${job}: ${e.message}`));
  const memo = (desc.memo ?? {}) as { outputDir?: string };
  if (!memo.outputDir) fail(`job ${job} has not recorded its output folder yet (it is still preparing); try again in a moment`);
  return memo.outputDir;
}

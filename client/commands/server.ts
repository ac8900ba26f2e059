// `anime-dub server start|stop`: the embedded Temporal dev server.
import { loadSettings } from '../../config/load.js';
import { ensureDevServer, stopDevServer } from '../devServer.js';
import { fail } from './context.js';
import type { Command } from 'commander';

export function addServerCommands(program: Command): void {
  const server = program.command('server').description('the embedded Temporal dev server');
  server.command('start').description('start it (or find it running) and print its address (and UI with --ui)')
    .option('--ui', 'with its web UI on 127.0.0.1 (env ANIME_DUB_UI; default headless)')
    .action(async (o) => {
      const settings = loadSettings(process.env, o.ui ? { temporal: { ui: true } } : {});
      // Refusals (a port answered by a process we did not start, a state dir that is not ours) are messages.
      const s = await ensureDevServer(settings).catch((e: unknown) => fail(e instanceof Error ? e.message : String(e)));
      const ui = s.uiUrl ? `; UI ${s.uiUrl}` : settings.temporal.ui ? '; it has no UI (started headless): `anime-dub server stop`, then start it with --ui' : ' (headless; --ui for the web UI)';
      console.log(`Temporal ${s.started ? 'started' : 'already running'} at ${s.address}${ui}`);
      process.exit(0);
    });
  server.command('stop').description('stop the server this state dir started (only a process verified to be it)').action(async () => {
    const outcome = await stopDevServer(loadSettings());
    const front = outcome.frontPid ? `the UI front (pid ${outcome.frontPid})` : '';
    if (!outcome.stopped && outcome.refused) fail(front ? `stopped ${front}; ${outcome.why}` : outcome.why);
    console.log(outcome.stopped ? `stopped (pid ${outcome.pid}${front ? `; ${front}` : ''})` : outcome.why);
    process.exit(0);
  });
}

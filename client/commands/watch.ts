// `anime-dub watch`: serve a streaming job's stream/ folder to a browser player while it renders.
import path from 'node:path';
import { printable } from '../terminalText.js';
import { jobFolder } from './context.js';
import type { Command } from 'commander';

export function addWatchCommand(program: Command): void {
  program
    .command('watch')
    .description("play a streaming job's dub in the browser while the rest renders (serves its stream/ folder on localhost)")
    .argument('<job>', 'workflow id of a streaming run (or a path to its Output/<job> folder)')
    .option('--port <n>', 'port (default: any free one)', '0')
    .option('--host <addr>', 'address to bind (default 127.0.0.1; another address shares it on your network)', '127.0.0.1')
    .action(async (job: string, o) => {
      const dir = await jobFolder(job);
      const { startWatchServer } = await import('../watchServer.js');
      const server = await startWatchServer(path.join(dir, 'stream'), { port: Number(o.port), host: o.host });
      console.log(`Watching ${printable(path.join(dir, 'stream'))}\nOpen ${server.url} (Ctrl-C to stop)`);
      process.once('SIGINT', () => { server.close().finally(() => process.exit(0)); });
    });
}

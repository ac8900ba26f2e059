// `anime-dub worker`: a long-running worker for clusters.
import { loadSettings } from '../../config/load.js';
import { ALL_ROLES, parseRoles } from '../../workers/roles.js';
import { describeSource } from '../../config/connection.js';
import { workerLibrary } from './context.js';
import type { Command } from 'commander';

export function addWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('run a worker until SIGINT/SIGTERM (for clusters: TEMPORAL_ADDRESS set, shared output folder)')
    .option('--queues <roles>', `comma list of ${ALL_ROLES.join(', ')}`, ALL_ROLES.join(','))
    .action(async (o) => {
      const settings = loadSettings();
      const roles = parseRoles(o.queues);
      const running = await (await workerLibrary()).startWorkers(settings, roles);
      console.log(`worker polling ${roles.map((r) => settings.queues[r]).join(', ')} at ${running.target.address} (${describeSource(running.target)})${settings.metrics.prometheus ? `; metrics on http://${settings.metrics.prometheus}/metrics` : ''}`);
      await running.done;
      process.exit(0);
    });
}

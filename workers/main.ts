// Shared body of the worker entry points: start the given roles and stay up until SIGINT/SIGTERM.
import { loadSettings } from '../config/load.js';
import { describeSource } from '../config/connection.js';
import { startWorkers, type WorkerRole } from './startWorkers.js';
import { tracesEndpoint } from './tracing.js';

export async function runWorkerProcess(roles: WorkerRole[]): Promise<void> {
  const settings = loadSettings();
  const running = await startWorkers(settings, roles);
  console.log(`anime-dub worker polling ${roles.map((r) => settings.queues[r]).join(', ')} at ${running.target.address} (${describeSource(running.target)}; pid ${process.pid})${settings.metrics.prometheus ? `; metrics on http://${settings.metrics.prometheus}/metrics` : ''}${settings.tracing.otlp ? `; traces to ${tracesEndpoint()}` : ''}`);
  await running.done;
}

export function main(roles: WorkerRole[]): void {
  runWorkerProcess(roles).then(
    () => process.exit(0),
    (err) => {
      console.error(`worker failed: ${err instanceof Error ? err.message : err}`);
      process.exit(1);
    },
  );
}

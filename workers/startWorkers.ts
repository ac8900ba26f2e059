// Builds the Workers one process runs: one per queue role, sharing one connection.
// Entry points (all.ts, cpu.ts, gpu.ts) only pick the roles.
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { DefaultLogger, NativeConnection, Runtime, Worker, type LogLevel } from '@temporalio/worker';
import * as activities from '../activities/index.js';
import type { Settings } from '../config/schema.js';
import { FileSystemErrors } from './interceptors.js';

export type WorkerRole = 'workflows' | 'cpu' | 'gpu';
export const ALL_ROLES: WorkerRole[] = ['workflows', 'cpu', 'gpu'];

export function temporalAddress(settings: Settings): string {
  return settings.temporal.address || `127.0.0.1:${settings.temporal.serverPort}`;
}

let runtimeInstalled = false;
function installRuntime(level: LogLevel, handleSignals: boolean): void {
  if (runtimeInstalled) return;
  // Worker processes stop gracefully on SIGINT/SIGTERM; the CLI handles Ctrl-C itself (it cancels the job first).
  Runtime.install({ logger: new DefaultLogger(level), shutdownSignals: handleSignals ? ['SIGINT', 'SIGTERM', 'SIGQUIT', 'SIGUSR2'] : [] });
  runtimeInstalled = true;
}

export interface RunningWorkers {
  workers: Worker[];
  /** Resolves when every worker has stopped (after shutdown() or a SIGINT/SIGTERM). */
  done: Promise<void>;
  shutdown(): Promise<void>;
}

export async function startWorkers(
  settings: Settings,
  roles: WorkerRole[],
  opts: { identity?: string; logLevel?: LogLevel; handleSignals?: boolean } = {},
): Promise<RunningWorkers> {
  installRuntime(opts.logLevel ?? (process.env.DUB_LOG_LEVEL as LogLevel) ?? 'ERROR', opts.handleSignals ?? true);
  const connection = await NativeConnection.connect({ address: temporalAddress(settings) });
  const identity = opts.identity ?? process.env.DUB_WORKER_IDENTITY ?? `${roles.join('+')}@${os.hostname()}-${process.pid}`;
  const throttle = settings.heartbeatThrottleSec * 1000;
  const common = { connection, namespace: settings.temporal.namespace, identity, shutdownGraceTime: '10s' as const };

  const workers: Worker[] = [];
  for (const role of roles) {
    if (role === 'workflows') {
      workers.push(await Worker.create({
        ...common,
        taskQueue: settings.queues.workflows,
        workflowsPath: fileURLToPath(new URL('../workflows/index.js', import.meta.url)),
        maxConcurrentWorkflowTaskExecutions: settings.concurrency.workflows,
      }));
    } else {
      workers.push(await Worker.create({
        ...common,
        taskQueue: settings.queues[role],
        activities,
        interceptors: { activity: [() => ({ inbound: new FileSystemErrors() })] },
        maxConcurrentActivityTaskExecutions: settings.concurrency[role],
        maxHeartbeatThrottleInterval: throttle,
        defaultHeartbeatThrottleInterval: throttle,
      }));
    }
  }
  const done = Promise.all(workers.map((w) => w.run())).then(async () => {
    await connection.close();
  });
  return {
    workers,
    done,
    async shutdown() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await done;
    },
  };
}

export function parseRoles(text: string): WorkerRole[] {
  const roles = text.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = roles.filter((r) => !ALL_ROLES.includes(r as WorkerRole));
  if (bad.length || roles.length === 0) throw new Error(`unknown queue role(s) ${bad.join(', ') || '(none)'}; use a comma list of ${ALL_ROLES.join(', ')}`);
  return roles as WorkerRole[];
}

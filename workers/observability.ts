// What operators see of a worker: its name in every history event it handles (identity) and the SDK runtime's
// Prometheus metrics (schedule-to-start latency per queue = backlog, activity failures, sticky cache hits).
import os from 'node:os';
import type { TelemetryOptions } from '@temporalio/worker';
import type { Settings } from '../config/schema.js';
import type { WorkerRole } from './roles.js';

/**
 * `cpu@host-1234`, `gpu/cuda1@gpu-box-5678`: the role and host a task ran on, readable in the Temporal UI.
 * DUB_WORKER_IDENTITY, when set, is used as is (one name for every queue of the process).
 */
export function workerIdentity(role: WorkerRole, env: NodeJS.ProcessEnv = process.env): string {
  if (env.DUB_WORKER_IDENTITY) return env.DUB_WORKER_IDENTITY;
  const device = role === 'gpu' && env.CUDA_VISIBLE_DEVICES ? `/cuda${env.CUDA_VISIBLE_DEVICES.replace(/[^\w,]/g, '').replace(/,/g, '+')}` : '';
  return `${role}${device}@${os.hostname().split('.')[0]}-${process.pid}`;
}

/** The runtime's telemetry: a Prometheus endpoint when the worker setting names one, nothing otherwise. */
export function runtimeTelemetry(settings: Settings, roles: WorkerRole[]): TelemetryOptions | undefined {
  const bindAddress = settings.metrics.prometheus;
  if (!bindAddress) return undefined;
  return {
    metrics: {
      prometheus: { bindAddress },
      // Lets one dashboard split CPU and GPU hosts without relabelling.
      globalTags: { anime_dub_roles: roles.join('+'), host: os.hostname().split('.')[0] },
    },
  };
}

// Which queues a worker process polls, and where the server is: light enough for the CLI to load on every
// command (the worker library itself is loaded only by commands that run a worker).
import type { Settings } from '../config/schema.js';

export type WorkerRole = 'workflows' | 'cpu' | 'gpu';
export const ALL_ROLES: WorkerRole[] = ['workflows', 'cpu', 'gpu'];

export function temporalAddress(settings: Settings): string {
  return settings.temporal.address || `127.0.0.1:${settings.temporal.serverPort}`;
}

export function parseRoles(text: string): WorkerRole[] {
  const roles = text.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = roles.filter((r) => !ALL_ROLES.includes(r as WorkerRole));
  if (bad.length || roles.length === 0) throw new Error(`unknown queue role(s) ${bad.join(', ') || '(none)'}; use a comma list of ${ALL_ROLES.join(', ')}`);
  return roles as WorkerRole[];
}

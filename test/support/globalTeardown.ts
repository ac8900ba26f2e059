// Stops the dev server only if this run's globalSetup started it (same process, so a global carries the pid).
export default async function globalTeardown(): Promise<void> {
  const pid = (globalThis as { __testServerPid?: number }).__testServerPid;
  if (!pid) return;
  try { process.kill(-pid, 'SIGTERM'); } catch { /* already gone */ }
}

// Is a program on PATH, and which version? For doctor: a program that is there but will not say its version is
// still installed.
import { findOnPath } from './programPath.js';
import { run } from './run.js';

export async function versionOf(argv: string[], pick: (out: string) => string | undefined): Promise<{ installed: boolean; version?: string }> {
  if (!(await findOnPath(argv[0]))) return { installed: false };
  try {
    const r = await run(argv, { timeoutMs: 10_000, okExitCodes: [0, 1] });
    return { installed: true, version: pick(`${r.stdout}\n${r.stderr}`) };
  } catch {
    return { installed: true };
  }
}

/** The first group of `re` in a program's output. */
export const firstLine = (re: RegExp) => (out: string): string | undefined => out.match(re)?.[1];

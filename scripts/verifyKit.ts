// Shared by the verify-* scripts: numbered checks, and an embedded anime-dub (own state dir and port) to run.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

const CLI = fileURLToPath(new URL('../client/cli.js', import.meta.url));

export interface Verifier {
  dir: string;
  check(ok: boolean, what: string): void;
  /** `anime-dub ARGS` against this verifier's own embedded server. */
  cli(args: string[], extraEnv?: Record<string, string>): ReturnType<typeof execa>;
}

/**
 * Runs `body` with a fresh temp dir and embedded server on `port` (ANIME_DUB_VERIFY_PORT overrides it: the tests give
 * each jest worker its own ports), then stops it and exits 0 or 1.
 */
export async function verify(name: string, defaultPort: number, doneMessage: string, body: (v: Verifier) => Promise<void>): Promise<never> {
  const port = Number(process.env.ANIME_DUB_VERIFY_PORT) || defaultPort;
  const dir = await mkdtemp(path.join(os.tmpdir(), `${name}-`));
  const env = { TEMPORAL_ADDRESS: '', ANIME_DUB_STATE_DIR: path.join(dir, 'state'), ANIME_DUB_SERVER_PORT: String(port), ANIME_DUB_UI_PORT: String(port + 1) };
  let failed = 0;
  const v: Verifier = {
    dir,
    check(ok, what) {
      console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
      if (!ok) failed++;
    },
    cli: (args, extraEnv = {}) => execa(process.execPath, [CLI, ...args], { env: { ...env, ...extraEnv }, reject: false, cwd: dir }),
  };
  try {
    await body(v);
  } catch (e) {
    v.check(false, `unexpected error: ${(e as Error).message}`);
  } finally {
    await v.cli(['server', 'stop']);
    await rm(dir, { recursive: true, force: true });
  }
  console.log(failed ? `${failed} check(s) failed` : doneMessage);
  process.exit(failed ? 1 : 0);
}

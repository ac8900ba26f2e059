// A real S3-compatible server for the artifact-store tests: MinIO built from the Go module proxy at a pinned
// version by scripts/setup.sh into .tools/minio/bin, started here on a free port with its own data folder.
import { execa, type ResultPromise } from 'execa';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from './env.js';
import { freePort } from './mtlsFront.js';
import { waitFor } from './processes.js';

export const MINIO = path.join(PROJECT_ROOT, '.tools', 'minio', 'bin', 'minio');

export interface MinioServer {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  stop(): Promise<void>;
}

/** `port0` (or ANIME_DUB_TEST_MINIO_PORT=N) pins the S3 port, the console taking the next one; else free ports. */
export async function startMinio(dataDir: string, port0 = Number(process.env.ANIME_DUB_TEST_MINIO_PORT) || undefined): Promise<MinioServer> {
  if (!existsSync(MINIO)) throw new Error(`${MINIO} is missing: bash scripts/setup.sh builds it (go install github.com/minio/minio)`);
  // Pinned ports (N and N+1) keep runs on a machine shared with other test runs apart.
  const [port, consolePort] = port0 ? [port0, port0 + 1] : [await freePort(), await freePort()];
  const accessKeyId = 'anime-dub-test';
  const secretAccessKey = `secret-${Math.random().toString(36).slice(2)}`;
  let log = '';
  const child: ResultPromise = execa(MINIO, ['server', dataDir, '--address', `127.0.0.1:${port}`, '--console-address', `127.0.0.1:${consolePort}`, '--quiet'], {
    env: { MINIO_ROOT_USER: accessKeyId, MINIO_ROOT_PASSWORD: secretAccessKey, MINIO_BROWSER: 'off', MINIO_UPDATE: 'off' },
    reject: false, all: true, stdin: 'ignore',
  });
  child.all?.on('data', (d: Buffer) => { log += d.toString(); });
  let exited = false;
  const done = child.then(() => { exited = true; });
  const endpoint = `http://127.0.0.1:${port}`;
  await waitFor('MinIO to answer', async () => {
    if (exited) throw new Error(`minio exited: ${log}`);
    return fetch(`${endpoint}/minio/health/ready`).then((r) => r.ok, () => false);
  }, 60_000, 250);
  return {
    endpoint, accessKeyId, secretAccessKey,
    async stop() {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await done;
      clearTimeout(t);
    },
  };
}

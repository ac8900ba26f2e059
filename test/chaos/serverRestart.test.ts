// Chaos: restart the Temporal dev server (persistent database) in the middle of a dub job and of a streaming run.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { devServerArgv, portOpen, spawnDetached, temporalCliPath, waitForServer } from '../../client/devServer.js';
import { loadSettings } from '../../config/load.js';
import type { DubJobResult } from '../../lib/job.js';
import { progressQuery } from '../../workflows/messages.js';
import { dialogueClip } from '../fixtures/media.js';
import { workerPort } from '../support/env.js';
import { jobInput, tempDir } from '../support/jobs.js';
import { probe } from '../support/media.js';
import { waitFor } from '../support/processes.js';
import { queuesFor, startWorker, type WorkerProcess } from '../support/workers.js';
import { OPTIONS } from './killTrials.js';

describe('chaos: the Temporal dev server restarted mid-run (persistent database)', () => {
  const port = workerPort(7); // its own server (restarted by the test), on this worker's ports
  const queues = queuesFor('chaos-server');
  let serverPid: number | undefined;
  let worker: WorkerProcess | undefined;
  let dir: string;
  let startServer: () => Promise<void>;
  beforeAll(async () => {
    dir = await tempDir('chaos-server');
    const argv = devServerArgv(temporalCliPath(loadSettings({})), { port, uiPort: port + 1000, dbFile: path.join(dir, 'temporal.db'), headless: true });
    startServer = async () => {
      serverPid = await spawnDetached(argv, path.join(dir, 'server.log'));
      await waitForServer(`127.0.0.1:${port}`, 'default', 120);
    };
    await startServer();
    worker = await startWorker('all', queues, { TEMPORAL_ADDRESS: `127.0.0.1:${port}` });
  }, 180_000);
  afterAll(async () => {
    await worker?.stop().catch(() => {});
    if (serverPid) try { process.kill(-serverPid, 'SIGTERM'); } catch { /* gone */ }
  });

  /** Starts a run, restarts the server once `ready` says so, and returns the run's result. */
  async function acrossRestart<T>(type: 'dubJob' | 'streamDub', input: object, ready: (handle: { query: (q: typeof progressQuery) => Promise<unknown> }) => Promise<boolean>): Promise<T> {
    let connection = await Connection.connect({ address: `127.0.0.1:${port}` });
    const handle = await new Client({ connection }).workflow.start(type, { taskQueue: queues.workflows, workflowId: `${type}-restart-${Date.now()}`, args: [input] });
    await waitFor('the point to restart at', () => ready(handle as never), 120_000, 50);
    process.kill(-serverPid!, 'SIGTERM');
    await waitFor('the server to stop', async () => !(await portOpen(port)), 30_000);
    // It holds the SQLite database until it exits (a new server on it fails with SQLITE_BUSY): wait for the exit too.
    await waitFor('the server process to exit', async () => {
      try { process.kill(serverPid!, 0); return false; } catch { return true; }
    }, 60_000);
    await connection.close();
    await new Promise((r) => setTimeout(r, 2000));
    await startServer();
    connection = await Connection.connect({ address: `127.0.0.1:${port}` });
    try {
      return await new Client({ connection }).workflow.getHandle(handle.workflowId).result();
    } finally {
      await connection.close();
    }
  }

  it('a dub job completes after the server comes back', async () => {
    const clip = await dialogueClip();
    const result = await acrossRestart<DubJobResult>('dubJob', jobInput(clip.video, queues, dir, OPTIONS),
      async (h) => ((await h.query(progressQuery)) as { stage: string }).stage === 'synthesize');
    expect(result.lines).toBe(clip.script.length);
    expect((await probe(path.join(result.outputDir, result.outputs.mkv))).streams.filter((s) => s.codec_type === 'audio')).toHaveLength(2);
  }, 240_000);

  it('a streaming run completes after the server comes back, every chunk done', async () => {
    const clip = await dialogueClip();
    const input = jobInput(clip.video, queues, path.join(dir, 'stream'), { ...OPTIONS, stream: { enabled: true, chunkSeconds: 6, dryRun: true } });
    const result = await acrossRestart<{ chunks: number; failed: number; outputDir: string; final?: string }>('streamDub', input,
      async (h) => ((await h.query(progressQuery)) as { chunksDone?: number }).chunksDone! >= 1);
    expect(result.chunks).toBeGreaterThanOrEqual(3);
    expect(result.failed).toBe(0);
    expect(Math.abs((await probe(path.join(result.outputDir, result.final!))).durationSec - clip.durationSec)).toBeLessThanOrEqual(0.1);
  }, 240_000);
});

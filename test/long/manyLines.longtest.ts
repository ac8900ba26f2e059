// Long test (npm run test:long, not in CI's default run): a generated 10,000-line SRT on a 67-minute video
// completes, and every payload Temporal carried for it stayed under 512 KiB (read from the job's history).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { run } from '../../engines/run.js';
import type { DubJobResult } from '../../lib/job.js';
import { writeSrt } from '../fixtures/media.js';
import { TEST_CACHE } from '../support/env.js';
import { closeTestClient, jobInput, startJob, tempDir } from '../support/jobs.js';
import { queuesFor, startWorker, type WorkerProcess } from '../support/workers.js';

/** 10,000 by default; LONG_TEST_LINES makes a shorter run of the same shape (the payload bound must not move). */
const LINES = Number(process.env.LONG_TEST_LINES ?? 10_000);
const SPACING_SEC = 0.4;
const DURATION_SEC = Math.ceil(LINES * SPACING_SEC) + 2;
const LIMIT = 512 * 1024;

async function longVideo(): Promise<string> {
  const out = path.join(TEST_CACHE, 'media', `long-${DURATION_SEC}s.mp4`);
  if (existsSync(out)) return out;
  await mkdir(path.dirname(out), { recursive: true });
  // One frame a second and a quiet tone: an hour of input made in seconds.
  await run(['ffmpeg', '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `color=c=navy:s=160x90:r=1:d=${DURATION_SEC}`,
    '-f', 'lavfi', '-i', `sine=frequency=220:sample_rate=48000:duration=${DURATION_SEC}`,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '48k', '-shortest', out], { timeoutMs: 600_000 });
  return out;
}

describe(`${LINES} lines on a ${Math.round(DURATION_SEC / 60)}-minute video`, () => {
  const queues = queuesFor('many-lines');
  let worker: WorkerProcess;
  beforeAll(async () => { worker = await startWorker('all', queues); }, 120_000);
  afterAll(async () => {
    await worker?.stop();
    await closeTestClient();
  });

  it('completes with every payload under 512 KiB', async () => {
    const video = await longVideo();
    const dir = await tempDir('many-lines');
    const words = ['Go.', 'Yes.', 'No.', 'Run!', 'Stop.', 'Now.', 'Wait.', 'Look!'];
    const subs = await writeSrt(path.join(dir, 'many.srt'), Array.from({ length: LINES }, (_, i) => ({
      start: 1 + i * SPACING_SEC, end: 1 + i * SPACING_SEC + 0.35, text: words[i % words.length],
    })));
    const handle = await startJob(jobInput(video, queues, dir, {
      subs, src: 'en', translate: false, tts: { engine: 'espeak-ng' }, synthesisConcurrency: 4, fit: { condense: false },
    }), queues);
    const result = (await handle.result()) as DubJobResult;
    expect(result.lines).toBe(LINES);
    const events = (await handle.fetchHistory()).events ?? [];
    let largest = 0;
    for (const e of events) {
      const payloads = [
        e.activityTaskScheduledEventAttributes?.input, e.activityTaskCompletedEventAttributes?.result,
        e.workflowExecutionStartedEventAttributes?.input, e.workflowExecutionCompletedEventAttributes?.result,
      ];
      for (const p of payloads) for (const one of p?.payloads ?? []) largest = Math.max(largest, one.data?.length ?? 0);
    }
    console.log(`${events.length} events, largest payload ${largest} bytes`);
    expect(largest).toBeLessThan(LIMIT);
  }, 4 * 3600_000);
});

// Load: 12 short jobs submitted at once to one worker process. All complete, no two share a temp file,
// the per-queue concurrency limits hold (measured from the histories), and the worker's memory stays bounded.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { DubJobResult } from '../../lib/job.js';
import { shortClip } from '../fixtures/media.js';
import { closeTestClient, jobInput, startJob, tempDir } from '../support/jobs.js';
import { queuesFor, startWorker, type WorkerProcess } from '../support/workers.js';

const LIMITS = { cpu: 2, gpu: 2 };

async function peakRssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(status.match(/VmHWM:\s+(\d+) kB/)![1]) / 1024;
}

/** Largest number of intervals open at once. */
function maxOverlap(intervals: [number, number][]): number {
  const points = intervals.flatMap(([a, b]) => [[a, 1], [b, -1]] as [number, number][]).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let open = 0;
  let peak = 0;
  for (const [, d] of points) peak = Math.max(peak, (open += d));
  return peak;
}

describe('load: 12 jobs at once on one worker (real dev server)', () => {
  const queues = queuesFor('load');
  let worker: WorkerProcess;
  beforeAll(async () => {
    await shortClip();
    worker = await startWorker('all', queues, { DUB_CPU_CONCURRENCY: String(LIMITS.cpu), DUB_GPU_CONCURRENCY: String(LIMITS.gpu) });
  }, 120_000);
  afterAll(async () => {
    await worker?.stop();
    await closeTestClient();
  });

  it('all complete, no shared temp files, queue limits hold, worker RSS bounded', async () => {
    const dir = await tempDir('load');
    await mkdir(path.join(dir, 'in'));
    const videos = await Promise.all(Array.from({ length: 12 }, async (_, i) => {
      const v = path.join(dir, 'in', `episode-${String(i + 1).padStart(2, '0')}.mp4`);
      await copyFile((await shortClip()).video, v);
      return v;
    }));
    const handles = await Promise.all(videos.map((v) => startJob(jobInput(v, queues, path.join(dir, 'Output')), queues)));
    const results: DubJobResult[] = await Promise.all(handles.map((h) => h.result()));
    expect(results).toHaveLength(12);
    expect(new Set(results.map((r) => r.outputDir)).size).toBe(12);

    // every engine command of a job touched only its own folder (plus the shared, read-only inputs and models)
    for (const r of results) {
      const log = (await readFile(path.join(r.outputDir, 'tmp', 'commands.jsonl'), 'utf8')).split('\n').filter(Boolean);
      for (const row of log) {
        const paths = (JSON.parse(row).argv as string[]).filter((a) => a.startsWith(path.join(dir, 'Output')));
        for (const p of paths) expect(p.startsWith(r.outputDir + path.sep)).toBe(true);
      }
    }

    const perQueue: Record<string, [number, number][]> = { [queues.cpu]: [], [queues.gpu]: [] };
    for (const h of handles) {
      const events = (await h.fetchHistory()).events!;
      const queueOf = new Map<string, string>();
      const startOf = new Map<string, number>();
      for (const e of events) {
        const t = Number(e.eventTime!.seconds) * 1000 + Math.floor((e.eventTime!.nanos ?? 0) / 1e6);
        if (e.activityTaskScheduledEventAttributes) queueOf.set(String(e.eventId), e.activityTaskScheduledEventAttributes.taskQueue!.name!);
        if (e.activityTaskStartedEventAttributes) startOf.set(String(e.activityTaskStartedEventAttributes.scheduledEventId), t);
        const done = e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes;
        if (done) {
          const id = String(done.scheduledEventId);
          perQueue[queueOf.get(id)!].push([startOf.get(id)!, t]);
        }
      }
    }
    const cpuPeak = maxOverlap(perQueue[queues.cpu]);
    const gpuPeak = maxOverlap(perQueue[queues.gpu]);
    const rss = await peakRssMiB(worker.pid);
    console.log(`load: 12 jobs, ${perQueue[queues.cpu].length + perQueue[queues.gpu].length} activities; peak in flight cpu ${cpuPeak}/${LIMITS.cpu}, gpu ${gpuPeak}/${LIMITS.gpu}; worker peak RSS ${rss.toFixed(0)} MiB`);
    expect(cpuPeak).toBeLessThanOrEqual(LIMITS.cpu);
    expect(gpuPeak).toBeLessThanOrEqual(LIMITS.gpu);
    expect(cpuPeak).toBe(LIMITS.cpu); // the limit was actually reached: the load was real
    expect(rss).toBeLessThan(512); // bounded; the figure itself goes to docs/RELIABILITY.md
  }, 300_000);
});

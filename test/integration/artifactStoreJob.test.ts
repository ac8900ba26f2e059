// A whole dub job through the s3 artifact store, against a real MinIO server and a real dev server: two worker
// processes with separate output roots and caches (as two hosts would have), one polling the cpu queue, the other
// the gpu queue (both take workflow tasks), so the job's activities are split across them. Its outputs are compared with
// the same job run by one worker on a shared folder.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { execa } from 'execa';
import { downloadOutputs, failureMessage, startDubJob, withStoredInputs } from '../../client/api.js';
import { loadSettings, parseJobOptions, resolveJobOptions } from '../../config/load.js';
import { run } from '../../engines/run.js';
import type { DubJobResult } from '../../lib/job.js';
import { listObjects } from '../../storage/s3Client.js';
import { writeSrt } from '../fixtures/media.js';
import { closeTestClient, tempDir, testClient } from '../support/jobs.js';
import { startMinio, type MinioServer } from '../support/minio.js';
import { PROJECT_ROOT, TEST_ADDRESS } from '../support/env.js';
import { queuesFor, startWorker, type Queues, type WorkerProcess } from '../support/workers.js';

const LINES = ['Good morning.', 'Where is the station?', 'I like the red car.', 'Thank you very much.', 'See you tomorrow.', 'The house is big.'];

/** ~13 s of ffmpeg test pattern and a tone, with six English subtitle lines (imported: no recognition needed). */
async function sixLineClip(dir: string): Promise<{ video: string; subs: string }> {
  const video = path.join(dir, 'input', 'episode.mp4');
  await mkdir(path.dirname(video), { recursive: true });
  const tmp = `${video}.part.mp4`;
  await run(['ffmpeg', '-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=25:duration=13',
    '-f', 'lavfi', '-i', 'sine=frequency=330:sample_rate=48000:duration=13', '-c:v', 'libx264', '-preset', 'ultrafast',
    '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', tmp]);
  await rename(tmp, video);
  const subs = await writeSrt(path.join(dir, 'input', 'episode.en.srt'), LINES.map((text, i) => ({ start: 0.4 + i * 2.1, end: 1.9 + i * 2.1, text })));
  return { video, subs };
}

/** The dub track (the first audio stream) decoded to PCM, hashed: equal sound whatever the container's bytes. */
async function dubPcmHash(file: string): Promise<string> {
  const { stdout } = await execa('ffmpeg', ['-nostdin', '-v', 'error', '-i', file, '-map', '0:a:0', '-f', 's16le', '-ac', '2', '-ar', '48000', '-'], { encoding: 'buffer', maxBuffer: 1 << 28 });
  return createHash('sha256').update(stdout).digest('hex');
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name))).sort();
}

/** An event as JSON with every payload's data decoded (the history keeps them base64). */
function decodedText(event: unknown): string {
  return JSON.stringify(event, (k, v) => (k === 'data' && (typeof v === 'string' || v instanceof Uint8Array) ? Buffer.from(v as string, typeof v === 'string' ? 'base64' : undefined).toString() : v));
}

const sha = async (file: string) => createHash('sha256').update(await readFile(file)).digest('hex');

describe('a dub job through the S3-compatible artifact store (real MinIO, two worker processes with separate folders)', () => {
  let dir: string;
  let minio: MinioServer;
  let clip: { video: string; subs: string };
  const workers: WorkerProcess[] = [];
  const sharedQueues = queuesFor('s3job-shared');
  const s3Queues = queuesFor('s3job-split');
  const queueEnv = (q: Queues) => ({ DUB_QUEUE_WORKFLOWS: q.workflows, DUB_QUEUE_CPU: q.cpu, DUB_QUEUE_GPU: q.gpu });
  const jobFlags = () => ({ video: clip.video, subs: clip.subs, src: 'en', tgt: 'es', mt: { engine: 'apertium' }, tts: { engine: 'espeak-ng' }, mix: { separation: 'off' } });
  let s3Env: Record<string, string>;
  let shared: DubJobResult;
  let split: DubJobResult;
  let splitDownloaded: string;

  beforeAll(async () => {
    dir = await tempDir('s3job');
    clip = await sixLineClip(dir);
    minio = await startMinio(path.join(dir, 'minio-data'));
    s3Env = { DUB_ARTIFACT_STORE: 's3', DUB_S3_ENDPOINT: minio.endpoint, DUB_S3_BUCKET: 'dub-artifacts', DUB_S3_PREFIX: 'studio/', AWS_ACCESS_KEY_ID: minio.accessKeyId, AWS_SECRET_ACCESS_KEY: minio.secretAccessKey };
    // The client's credentials come from its own environment, like a worker's.
    process.env.AWS_ACCESS_KEY_ID = minio.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = minio.secretAccessKey;
    workers.push(await startWorker('all', sharedQueues, { ANIME_DUB_OUTPUT_DIR: path.join(dir, 'shared-root') }));
    // Host A: workflows and the cpu queue. Host B: workflows and the gpu queue (dubLines' synthesis runs there).
    workers.push(await startWorker('cpu', s3Queues, { ...s3Env, ANIME_DUB_OUTPUT_DIR: path.join(dir, 'hostA', 'out'), DUB_ARTIFACT_CACHE: path.join(dir, 'hostA', 'cache') }));
    workers.push(await startWorker('gpu', s3Queues, { ...s3Env, ANIME_DUB_OUTPUT_DIR: path.join(dir, 'hostB', 'out'), DUB_ARTIFACT_CACHE: path.join(dir, 'hostB', 'cache') }));
  }, 180_000);

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await minio?.stop();
    await closeTestClient();
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
  });

  it('runs the job on one shared folder (the reference)', async () => {
    const settings = loadSettings({ ...queueEnv(sharedQueues), ANIME_DUB_OUTPUT_DIR: path.join(dir, 'shared-root') });
    const handle = await startDubJob(await testClient(), settings, resolveJobOptions(settings, jobFlags()));
    shared = await handle.result();
    expect(shared.lines).toBe(6);
    expect(shared.outputDir.startsWith(path.join(dir, 'shared-root'))).toBe(true);
  }, 180_000);

  it('runs it split across the two workers through MinIO; only keys travel, and the outputs equal the shared run\'s', async () => {
    const settings = loadSettings({ ...queueEnv(s3Queues), ...s3Env, ANIME_DUB_OUTPUT_DIR: path.join(dir, 'client', 'out'), DUB_ARTIFACT_CACHE: path.join(dir, 'client', 'cache') });
    const options = resolveJobOptions(settings, jobFlags());
    const started = Date.now();
    const handle = await startDubJob(await testClient(), settings, options);
    split = await handle.result();
    const wallSec = (Date.now() - started) / 1000;
    expect(split.lines).toBe(6);
    // The job's paths are the store's, never a host's folder.
    expect(split.outputDir).toBe('s3://dub-artifacts/studio/jobs/episode.es');
    // No host's folder in any payload of the history (payload data decoded from base64).
    const events = (await handle.fetchHistory()).events!;
    const naming = events.map((e) => ({ type: String(e.eventType), text: decodedText(e) }))
      .filter((e) => e.text.includes(path.join(dir, 'hostA')) || e.text.includes(path.join(dir, 'hostB')))
      .map((e) => `${e.type}: ${e.text.slice(0, 600)}`);
    expect(naming).toEqual([]);
    // No activity failed on the way (a pull or push racing a parallel activity would show here).
    const failures = events.filter((e) => e.activityTaskFailedEventAttributes || e.activityTaskTimedOutEventAttributes)
      .map((e) => (e.activityTaskFailedEventAttributes ?? e.activityTaskTimedOutEventAttributes)?.failure?.message);
    expect(failures).toEqual([]);
    expect(split.resynthesized).toBe(6);

    // Both workers really ran activities.
    const identities = new Set(events.map((e) => e.activityTaskStartedEventAttributes?.identity).filter(Boolean));
    expect(identities).toEqual(new Set([workers[1].identity, workers[2].identity]));

    const got = await downloadOutputs(settings, split.outputDir);
    splitDownloaded = got.dir;
    expect(got.dir).toBe(path.join(dir, 'client', 'out', 'episode.es'));
    for (const rel of [split.outputs.sourceSrt, split.outputs.targetSrt, split.outputs.sourceVtt!, split.outputs.targetVtt!]) {
      expect({ rel, sha: await sha(path.join(got.dir, rel)) }).toEqual({ rel, sha: await sha(path.join(shared.outputDir, rel)) });
    }
    expect(split.outputs).toEqual(shared.outputs);
    const [a, b] = [await dubPcmHash(path.join(got.dir, split.outputs.mp4)), await dubPcmHash(path.join(shared.outputDir, shared.outputs.mp4))];
    expect(a).toBe(b);
    const mp4BytesEqual = (await sha(path.join(got.dir, split.outputs.mp4))) === (await sha(path.join(shared.outputDir, shared.outputs.mp4)));
    const stored = await listObjects({ endpoint: minio.endpoint, bucket: 'dub-artifacts', region: 'us-east-1', accessKeyId: minio.accessKeyId, secretAccessKey: minio.secretAccessKey }, 'studio/');
    process.stdout.write(`s3 split run: ${wallSec.toFixed(1)} s; ${stored.length} objects in the store; mp4 bytes ${mp4BytesEqual ? 'identical' : 'differ (same decoded dub audio)'}\n`);
    // Host-local files never reach the store.
    expect(stored.filter((o) => /\.part|\/tmp\/processes\//.test(o.key))).toEqual([]);
    expect(stored.some((o) => o.key.startsWith('studio/inputs/sha256/'))).toBe(true);
    // The folder lock was an object in the store (conditional writes), released when the job ended.
    expect(stored.filter((o) => o.key.endsWith('/.lock'))).toEqual([]);
  }, 240_000);

  it("each worker's folder holds only what it made or fetched: the gpu host never saw the mux outputs made after its last step", async () => {
    const folderA = path.join(dir, 'hostA', 'out', 'episode.es');
    const folderB = path.join(dir, 'hostB', 'out', 'episode.es');
    const [filesA, filesB] = [await filesUnder(folderA), await filesUnder(folderB)];
    // Made on host A (mux, report) after host B's last activity: not on B.
    for (const rel of [split.outputs.mp4, split.outputs.mkv, 'report.json']) {
      expect({ rel, onA: filesA.includes(rel), onB: filesB.includes(rel) }).toEqual({ rel, onA: true, onB: false });
    }
    // Made on host B (synthesis) and fetched by A for the mix.
    const clips = filesB.filter((f) => f.startsWith('tts/') && f.endsWith('.wav'));
    expect(clips.length).toBeGreaterThan(0);
    for (const c of clips) expect(filesA).toContain(c);
    // The input came through the store into the job folder. Each activity pulls the whole folder, so the gpu host
    // holds the input too, though it never reads it (docs/DEPLOY.md, "What it costs").
    expect(filesA).toContain('input/episode.mp4');
    expect(filesB).toContain('input/episode.mp4');
    // The engine process registry stays on its host; the lock was released everywhere.
    expect(existsSync(path.join(folderA, '.lock'))).toBe(false);
    // job.json (mirrored, read back by a review re-render from anywhere) names the inputs as the client did, with
    // their store keys, never by a worker's path.
    const recorded = await readFile(path.join(folderB, 'job.json'), 'utf8');
    expect(JSON.parse(recorded)).toMatchObject({ video: clip.video, subs: clip.subs, stored: { video: { key: expect.stringMatching(/^inputs\/sha256\//) } } });
    expect(recorded).not.toContain(path.join(dir, 'hostA'));
    expect(recorded).not.toContain(path.join(dir, 'hostB'));
    expect(existsSync(path.join(splitDownloaded, '.lock'))).toBe(false);
  });

  it('`anime-dub run` with the s3 store uploads the input, and downloads the outputs into its own output folder; the workers reuse their finished work', async () => {
    const out = path.join(dir, 'cli-client', 'out');
    const r = await execa(process.execPath, [path.join(PROJECT_ROOT, 'dist', 'client', 'cli.js'), 'run', clip.video, '--subs', clip.subs, '--src', 'en', '--tgt', 'es', '--mt', 'apertium', '--tts', 'espeak-ng', '--separation', 'off'], {
      env: { ...queueEnv(s3Queues), ...s3Env, TEMPORAL_ADDRESS: TEST_ADDRESS, ANIME_DUB_OUTPUT_DIR: out, DUB_ARTIFACT_CACHE: path.join(dir, 'cli-client', 'cache'), CI: '1' },
      reject: false, timeout: 170_000,
    });
    expect({ code: r.exitCode, stderr: r.exitCode ? r.stderr : '' }).toEqual({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/Fetched \d+ output file\(s\) from the s3 artifact store \(s3:\/\/dub-artifacts\/studio\/jobs\/episode\.es\)/);
    const local = path.join(out, 'episode.es');
    expect(r.stdout).toContain(`→ ${local}`);
    expect(r.stdout).toContain(path.join(local, split.outputs.mp4));
    expect(await sha(path.join(local, split.outputs.targetSrt))).toBe(await sha(path.join(shared.outputDir, shared.outputs.targetSrt)));
    expect(await dubPcmHash(path.join(local, split.outputs.mp4))).toBe(await dubPcmHash(path.join(shared.outputDir, shared.outputs.mp4)));
    // Another client folder, so another job id; the same input in the workers' folders, so nothing is said again.
    const id = /Started job (\S+)/.exec(r.stdout)?.[1];
    expect(id).toBeDefined();
    const again = await (await testClient()).workflow.getHandle(id!).result() as DubJobResult;
    expect(again.resynthesized).toBe(0);
  }, 180_000);

  it('a job cannot name an endpoint, a bucket or credentials, nor a key outside the inputs area: refused by the strict schema', async () => {
    const client = await testClient();
    const settings = loadSettings({ ...queueEnv(s3Queues), ...s3Env, ANIME_DUB_OUTPUT_DIR: path.join(dir, 'client', 'out'), DUB_ARTIFACT_CACHE: path.join(dir, 'client', 'cache') });
    const good = resolveJobOptions(settings, jobFlags());
    const uploaded = await withStoredInputs(settings, good);
    const ref = uploaded.stored!.video;
    const bad: Record<string, unknown>[] = [
      { ...uploaded, stored: { video: { ...ref, endpoint: 'http://attacker.example:9000' } } },
      { ...uploaded, stored: { video: ref, bucket: 'someone-elses' } },
      { ...uploaded, artifacts: { s3: { endpoint: 'http://attacker.example:9000' } } },
      { ...uploaded, AWS_ACCESS_KEY_ID: 'AKIA-stolen', stored: { video: ref } },
      { ...uploaded, stored: { video: { ...ref, key: `../jobs/episode.es/${ref.key}` } } },
      { ...uploaded, stored: { video: { ...ref, key: `sha256/${ref.sha256.slice(0, 2)}/${ref.sha256}.mp4` } } },
      { ...uploaded, stored: { video: { ...ref, sha256: '0'.repeat(64) } } },
    ];
    for (const input of bad) expect(parseJobOptions(input).ok).toBe(false);
    // And through the workers: the job fails at prepareJob with InvalidConfig, before anything is fetched or written.
    const handle = await client.workflow.start('dubJob', { taskQueue: s3Queues.workflows, workflowId: `s3-refused-${Date.now()}`, args: [bad[0]] });
    const err = await handle.result().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(failureMessage(err)).toMatch(/^InvalidConfig: invalid job options: .*endpoint/);
  }, 60_000);
});

// Issue 27, point 9: with the s3 artifact store every client holds write credentials for the bucket, so the bucket
// is not trusted for a job's outcome or its outputs. Against a real MinIO, a real dev server and a real worker
// process: the result carries each output's SHA-256 and size as the worker computed them; `anime-dub result`
// checks every download against those (a second client rewriting an index object or an output's bytes cannot get
// its file accepted); a damaged index object never makes a completed job "failed"; a job cannot make an s3-mode
// worker read a path on its own disk. And (point 10) `anime-dub config` prints no credentials from an LLM URL.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { execa } from 'execa';
import { downloadOutputs, failureMessage, OutputsRefusedError, startDubJob, withLocalOutputs, withStoredInputs } from '../../client/api.js';
import { loadSettings, resolveJobOptions } from '../../config/load.js';
import type { JobOptions, Settings } from '../../config/schema.js';
import { run } from '../../engines/run.js';
import type { DubJobResult } from '../../lib/job.js';
import { getText, putObject, putText, type S3Location } from '../../storage/s3Client.js';
import { refuseLocalPathsInS3Mode } from '../../storage/storedInputsPolicy.js';
import { writeSrt } from '../fixtures/media.js';
import { closeTestClient, tempDir, testClient } from '../support/jobs.js';
import { startMinio, type MinioServer } from '../support/minio.js';
import { PROJECT_ROOT, TEST_ADDRESS } from '../support/env.js';
import { queuesFor, startWorker, type Queues, type WorkerProcess } from '../support/workers.js';

const CLI = path.join(PROJECT_ROOT, 'dist', 'client', 'cli.js');
const LINES = ['Good morning.', 'Where is the station?', 'I like the red car.', 'Thank you very much.'];
const sha = async (file: string) => createHash('sha256').update(await readFile(file)).digest('hex');

async function clip(dir: string): Promise<{ video: string; subs: string }> {
  const video = path.join(dir, 'input', 'trust.mp4');
  await mkdir(path.dirname(video), { recursive: true });
  const tmp = `${video}.part.mp4`;
  await run(['ffmpeg', '-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=25:duration=9',
    '-f', 'lavfi', '-i', 'sine=frequency=330:sample_rate=48000:duration=9', '-c:v', 'libx264', '-preset', 'ultrafast',
    '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', tmp]);
  await rename(tmp, video);
  const subs = await writeSrt(path.join(dir, 'input', 'trust.en.srt'), LINES.map((text, i) => ({ start: 0.4 + i * 2.1, end: 1.9 + i * 2.1, text })));
  return { video, subs };
}

describe('the s3 store is not trusted for outcomes or outputs (real MinIO, a real worker process)', () => {
  let dir: string;
  let minio: MinioServer;
  let input: { video: string; subs: string };
  let worker: WorkerProcess;
  let loc: S3Location;
  let s3Env: Record<string, string>;
  let settings: Settings;
  let result: DubJobResult;
  let workflowId: string;
  const queues: Queues = queuesFor('storetrust');
  const queueEnv = { DUB_QUEUE_WORKFLOWS: queues.workflows, DUB_QUEUE_CPU: queues.cpu, DUB_QUEUE_GPU: queues.gpu };
  const workerRoot = () => path.join(dir, 'worker', 'out');
  const flags = () => ({ video: input.video, subs: input.subs, src: 'en', tgt: 'es', mt: { engine: 'apertium' }, tts: { engine: 'espeak-ng' }, mix: { separation: 'off' } });
  let clientRuns = 0;
  /** `anime-dub result` as a fresh client (its own output folder and cache, nothing downloaded before). */
  const resultCli = async () => {
    const home = path.join(dir, `client-${++clientRuns}`);
    const r = await execa(process.execPath, [CLI, 'result', workflowId], {
      env: { ...queueEnv, ...s3Env, TEMPORAL_ADDRESS: TEST_ADDRESS, ANIME_DUB_OUTPUT_DIR: path.join(home, 'out'), DUB_ARTIFACT_CACHE: path.join(home, 'cache'), CI: '1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      reject: false, timeout: 120_000,
    });
    return { ...r, local: path.join(home, 'out', result.job.name) };
  };
  const contentKey = (sha256: string, ext: string) => `studio/sha256/${sha256.slice(0, 2)}/${sha256}${ext}`;
  const indexKey = (rel: string) => `studio/jobs/${result.job.name}/${rel}`;

  beforeAll(async () => {
    dir = await tempDir('storetrust');
    input = await clip(dir);
    minio = await startMinio(path.join(dir, 'minio-data'));
    loc = { endpoint: minio.endpoint, bucket: 'dub-trust', region: 'us-east-1', accessKeyId: minio.accessKeyId, secretAccessKey: minio.secretAccessKey };
    s3Env = { DUB_ARTIFACT_STORE: 's3', DUB_S3_ENDPOINT: minio.endpoint, DUB_S3_BUCKET: 'dub-trust', DUB_S3_PREFIX: 'studio/', AWS_ACCESS_KEY_ID: minio.accessKeyId, AWS_SECRET_ACCESS_KEY: minio.secretAccessKey };
    process.env.AWS_ACCESS_KEY_ID = minio.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = minio.secretAccessKey;
    worker = await startWorker('all', queues, { ...s3Env, ANIME_DUB_OUTPUT_DIR: workerRoot(), DUB_ARTIFACT_CACHE: path.join(dir, 'worker', 'cache') });
    settings = loadSettings({ ...queueEnv, ...s3Env, ANIME_DUB_OUTPUT_DIR: path.join(dir, 'api-client', 'out'), DUB_ARTIFACT_CACHE: path.join(dir, 'api-client', 'cache') });
    const handle = await startDubJob(await testClient(), settings, resolveJobOptions(settings, flags()));
    workflowId = handle.workflowId;
    result = await handle.result() as DubJobResult;
  }, 240_000);

  afterAll(async () => {
    await worker?.stop();
    await minio?.stop();
    await closeTestClient();
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
  });

  it("the result carries SHA-256 and size of every final output, as the worker made them (outputs, report files)", async () => {
    expect(result.lines).toBe(LINES.length);
    const o = result.outputs;
    const named = [o.mp4, o.mkv, o.sourceSrt, o.targetSrt, o.sourceVtt!, o.targetVtt!, o.report!, 'report.html', 'report.timeline.png'];
    expect(Object.keys(result.hashes ?? {}).sort()).toEqual([...named].sort());
    // `outputs` itself holds only paths (printResult and programs iterate it).
    expect(Object.values(o).every((v) => typeof v === 'string')).toBe(true);
    const folder = path.join(workerRoot(), result.job.name);
    for (const rel of named) {
      const file = path.join(folder, rel);
      expect({ rel, ...result.hashes![rel] }).toEqual({ rel, sha256: await sha(file), bytes: (await readFile(file)).length });
    }
  });

  it('a damaged index object: `result` of the completed job still says completed and downloads every output, checked', async () => {
    const key = indexKey(result.outputs.targetSrt);
    const genuine = (await getText(loc, key))!.text;
    await putText(loc, key, '{"this is": not an index entry');
    try {
      const r = await resultCli();
      expect({ code: r.exitCode, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
      expect(r.stdout).toContain(`Dubbed ${LINES.length} lines`);
      expect(r.stdout).toMatch(/Fetched 9 output file\(s\) from the s3 artifact store .*each matching the SHA-256 in the job's result/);
      for (const [rel, h] of Object.entries(result.hashes!)) expect({ rel, sha: await sha(path.join(r.local, rel)) }).toEqual({ rel, sha: h.sha256 });
      // A result from before output hashes (no `hashes`) reads the index: the damaged entry costs that file and a
      // warning naming the object, never an exception.
      const said: string[] = [];
      const legacy = await downloadOutputs(loadSettings({ ...s3Env, ANIME_DUB_OUTPUT_DIR: path.join(dir, 'legacy', 'out'), DUB_ARTIFACT_CACHE: path.join(dir, 'legacy', 'cache') }), result.outputDir, undefined, (l) => said.push(l));
      expect(said.join('\n')).toContain(`the index object ${key} in bucket dub-trust is damaged`);
      expect(legacy.files.map((f) => path.basename(f))).not.toContain(result.outputs.targetSrt);
      expect(legacy.files.map((f) => path.basename(f))).toContain(result.outputs.mp4);
    } finally {
      await putText(loc, key, genuine);
    }
  }, 150_000);

  it("a second client redirects another job's index object to its own video: `result` downloads the worker's video, not that one", async () => {
    const rel = result.outputs.mp4;
    const key = indexKey(rel);
    const genuine = (await getText(loc, key))!.text;
    const evil = path.join(dir, 'evil.mp4');
    await writeFile(evil, Buffer.from('not the dub: a second client wrote this\n'.repeat(64)));
    const evilSha = await sha(evil);
    const evilBytes = (await readFile(evil)).length;
    await putObject(loc, contentKey(evilSha, '.mp4'), evil, evilSha, evilBytes);
    await putText(loc, key, JSON.stringify({ sha256: evilSha, bytes: evilBytes, key: contentKey(evilSha, '.mp4') }));
    try {
      const r = await resultCli();
      expect({ code: r.exitCode, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
      expect(await sha(path.join(r.local, rel))).toBe(result.hashes![rel].sha256);
    } finally {
      await putText(loc, key, genuine);
    }
  }, 150_000);

  it("a second client overwrites an output's bytes in the bucket: `result` refuses that file by name (exit 3, the job still completed), and leaves nothing under its name", async () => {
    const rel = result.outputs.mkv;
    const want = result.hashes![rel];
    const evil = path.join(dir, 'evil.mkv');
    await writeFile(evil, Buffer.from('tampered\n'.repeat(1000)));
    await putObject(loc, contentKey(want.sha256, '.mkv'), evil, await sha(evil), (await readFile(evil)).length);

    // A tampered copy already under the output's name here (an earlier, unchecked download) is removed too.
    const home = path.join(dir, `client-${clientRuns + 1}`, 'out', result.job.name);
    await mkdir(home, { recursive: true });
    await writeFile(path.join(home, rel), await readFile(evil));
    const r = await resultCli();
    expect(r.local).toBe(home);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain(`job ${workflowId}: the job completed, but an output was refused: ${rel} (its bytes in the store are not the SHA-256`);
    expect(r.stderr).not.toMatch(/failed/);
    expect(existsSync(path.join(r.local, rel))).toBe(false);
    expect((await readdir(r.local)).filter((f) => f.includes('.part'))).toEqual([]);
    // The other outputs arrived, each as the worker made it.
    for (const [name, h] of Object.entries(result.hashes!)) {
      if (name !== rel) expect({ name, sha: await sha(path.join(r.local, name)) }).toEqual({ name, sha: h.sha256 });
    }
    // Programs get the same refusal, typed, naming the file.
    const api = loadSettings({ ...s3Env, ANIME_DUB_OUTPUT_DIR: path.join(dir, 'api-2', 'out'), DUB_ARTIFACT_CACHE: path.join(dir, 'api-2', 'cache') });
    const err = await withLocalOutputs(api, result).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(OutputsRefusedError);
    expect((err as OutputsRefusedError).refused.map((x) => x.file)).toEqual([rel]);
  }, 150_000);

  it('in s3 mode a job cannot make the worker read a path on its own disk: InvalidConfig naming the option, before any folder is made', async () => {
    const client = await testClient();
    const before = await readdir(workerRoot());
    const options = resolveJobOptions(settings, flags());
    const uploaded = await withStoredInputs(settings, options);
    const glossary = path.join(dir, 'input', 'glossary.tsv');
    await writeFile(glossary, 'station\testación\n');
    const cases: [string, JobOptions, RegExp][] = [
      // The video is really on the worker's disk (the test shares the machine): without the rule it would be dubbed.
      ['video', options, /: video, subs \(--subs\) name a path/],
      ['subs', { ...uploaded, stored: { video: uploaded.stored!.video } }, /subs \(--subs\) names a path/],
      ['glossary', { ...uploaded, mt: { ...uploaded.mt, glossary } }, /mt\.glossary \(--glossary\) names a path/],
    ];
    for (const [what, input, message] of cases) {
      const handle = await client.workflow.start('dubJob', { taskQueue: queues.workflows, workflowId: `storetrust-local-${what}-${Date.now()}`, args: [input] });
      const err = await handle.result().then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect(failureMessage(err)).toMatch(/^InvalidConfig: this worker uses the s3 artifact store, so a job's files must be uploaded inputs/);
      expect({ what, message: failureMessage(err) }).toEqual({ what, message: expect.stringMatching(message) });
      // Paths are job input: not quoted back.
      expect(failureMessage(err)).not.toContain(dir);
    }
    expect(await readdir(workerRoot())).toEqual(before);
    // Embedded subtitles are a track of the uploaded video, not a path; the shared folder is unchanged.
    expect(() => refuseLocalPathsInS3Mode({ ...uploaded, subs: 'embedded:1' }, settings)).not.toThrow();
    expect(() => refuseLocalPathsInS3Mode(options, loadSettings({}))).not.toThrow();
  }, 120_000);

  it('`anime-dub config` prints no password or key from an LLM URL', async () => {
    const r = await execa(process.execPath, [CLI, 'config'], {
      env: {
        MT_LLM_URL: 'http://user:secret-pw-123@llm.internal:8080/v1',
        MT_LLM_ENDPOINTS: JSON.stringify({ cloud: { baseUrl: 'https://api.example.com/v1?api_key=sk-canary-456&region=eu', apiKeyEnv: 'CLOUD_KEY' } }),
        DUB_S3_ENDPOINT: 'http://minio-user:minio-pw-789@minio.internal:9000',
      },
      reject: false,
    });
    expect({ code: r.exitCode, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    for (const secret of ['secret-pw-123', 'sk-canary-456', 'minio-pw-789', 'minio-user']) expect({ secret, shown: r.stdout.includes(secret) }).toEqual({ secret, shown: false });
    const printed = JSON.parse(r.stdout) as { llmEndpoints: Record<string, { baseUrl: string; apiKeyEnv?: string }> };
    expect(printed.llmEndpoints.default.baseUrl).toBe('http://***@llm.internal:8080/v1');
    expect(printed.llmEndpoints.cloud.baseUrl).toBe('https://api.example.com/v1?api_key=***&region=eu');
    expect(printed.llmEndpoints.cloud.apiKeyEnv).toBe('CLOUD_KEY');
  }, 60_000);
});

// Connecting the way a real deployment does: Temporal's environment configuration (TEMPORAL_* variables and
// temporal.toml profiles) through an mTLS front (Debian nginx, grpc_pass, ssl_verify_client on) before the test
// dev server. The CLI, a worker process and the typed client each dub a job through it.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { connectClient, startDubJob, waitForResult } from '../../client/api.js';
import { TemporalConnectionError } from '../../config/connection.js';
import { loadSettings, resolveJobOptions } from '../../config/load.js';
import type { DubJobResult } from '../../lib/job.js';
import { toneClip, type ToneClip } from '../fixtures/toneClip.js';
import { PROJECT_ROOT, TEST_ADDRESS } from '../support/env.js';
import { outputSubFolder, tempDir } from '../support/jobs.js';
import { startMtlsFront, type MtlsFront } from '../support/mtlsFront.js';
import { queuesFor, startWorker, type Queues, type WorkerProcess } from '../support/workers.js';

type Env = Record<string, string | undefined>;
const CLI = path.join(PROJECT_ROOT, 'dist', 'client', 'cli.js');
const anime = (args: string[], env: Env) => execa(process.execPath, [CLI, ...args], { env: { ...env, CI: '1' }, reject: false, timeout: 170_000 });

describe('Temporal connections from envconfig, against a real dev server behind an nginx mTLS front', () => {
  let dir: string;
  let front: MtlsFront;
  let clip: ToneClip;
  let configFile: string;
  // Every child gets its own config home: a temporal.toml of the machine's user must not leak into the test.
  const isolated = (): Env => ({ XDG_CONFIG_HOME: dir, TEMPORAL_ADDRESS: undefined, TEMPORAL_PROFILE: undefined, TEMPORAL_CONFIG_FILE: undefined });
  // The workers' output root too, as a cluster's shared configuration says it (--output names a folder inside it).
  const queueEnv = (q: Queues): Env => ({ DUB_QUEUE_WORKFLOWS: q.workflows, DUB_QUEUE_CPU: q.cpu, DUB_QUEUE_GPU: q.gpu, ANIME_DUB_OUTPUT_DIR: os.tmpdir() });
  const tlsEnv = (): Env => ({
    ...isolated(),
    TEMPORAL_ADDRESS: front.address,
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: front.certs.ca,
    TEMPORAL_TLS_CLIENT_CERT_PATH: front.certs.clientCert,
    TEMPORAL_TLS_CLIENT_KEY_PATH: front.certs.clientKey,
  });
  const profileEnv = (profile: string): Env => ({ ...isolated(), TEMPORAL_CONFIG_FILE: configFile, TEMPORAL_PROFILE: profile });

  beforeAll(async () => {
    dir = await tempDir('mtls');
    front = await startMtlsFront(dir, TEST_ADDRESS);
    clip = await toneClip();
    configFile = path.join(dir, 'temporal.toml');
    await writeFile(configFile, [
      '[profile.cluster]', `address = "${front.address}"`, 'namespace = "default"',
      '[profile.cluster.tls]', `server_ca_cert_path = "${front.certs.ca}"`, `client_cert_path = "${front.certs.clientCert}"`, `client_key_path = "${front.certs.clientKey}"`,
      '[profile.nocert]', `address = "${front.address}"`,
      '[profile.nocert.tls]', `server_ca_cert_path = "${front.certs.ca}"`, '',
    ].join('\n'));
  }, 60_000);
  afterAll(async () => { await front?.stop(); });

  const runArgs = (out: string, id: string) => ['run', clip.video, '--subs', clip.subs, '--translated-subs', clip.translatedSubs, '--src', 'en', '--tgt', 'es',
    '--tts', 'espeak-ng', '--separation', 'off', '--output', out, '--workflow-id', id];

  /** A job started and awaited by the typed client helper, connected as `choice` says. */
  async function dubWithTypedClient(env: Env, choice: Parameters<typeof connectClient>[0], id: string): Promise<DubJobResult> {
    const settings = loadSettings(env as NodeJS.ProcessEnv);
    const client = await connectClient(choice);
    try {
      const options = resolveJobOptions(settings, { video: clip.video, subs: clip.subs, translatedSubs: clip.translatedSubs, src: 'en', tgt: 'es', tts: { engine: 'espeak-ng' }, mix: { separation: 'off' }, outputDir: outputSubFolder(await tempDir(id)) });
      const handle = await startDubJob(client, settings, options, id);
      return await waitForResult(client, handle.workflowId) as DubJobResult;
    } finally {
      await client.connection.close();
    }
  }

  const unique = (name: string) => `${name}-${Date.now().toString(36)}`;

  describe('with the standard TEMPORAL_* variables', () => {
    const queues = queuesFor('mtls-env');
    let worker: WorkerProcess;
    beforeAll(async () => { worker = await startWorker('all', queues, { ...tlsEnv() }); }, 120_000);
    afterAll(async () => { await worker?.stop(); });

    it('a worker polls through the front, the CLI `run` dubs a job, and the typed client dubs another', async () => {
      expect(worker.output()).toContain(`at ${front.address} (profile "default", from TEMPORAL_* variables, namespace default, mTLS`);
      const out = await tempDir('mtls-env-cli');
      const r = await anime(runArgs(out, unique('mtls-env-cli')), { ...tlsEnv(), ...queueEnv(queues) });
      expect(r.stderr).not.toMatch(/failed|cannot connect/);
      expect(r.exitCode).toBe(0);
      expect(existsSync(path.join(out, 'tone.es', 'tone.es.dub.mkv'))).toBe(true);

      const env = { ...tlsEnv(), ...queueEnv(queues) };
      const result = await dubWithTypedClient(env, { env: env as NodeJS.ProcessEnv }, unique('mtls-env-api'));
      expect(result.lines).toBe(2);
      expect(existsSync(path.join(result.outputDir, result.outputs.mkv))).toBe(true);
    }, 170_000);
  });

  describe('with a temporal.toml profile (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE; no TEMPORAL_ADDRESS)', () => {
    const queues = queuesFor('mtls-profile');
    let worker: WorkerProcess;
    beforeAll(async () => { worker = await startWorker('all', queues, { ...profileEnv('cluster') }); }, 120_000);
    afterAll(async () => { await worker?.stop(); });

    it('a worker polls through the front, the CLI `run` dubs a job, and the typed client (profile by name) dubs another', async () => {
      expect(worker.output()).toContain(`at ${front.address} (profile "cluster" in ${configFile}, namespace default, mTLS`);
      const out = await tempDir('mtls-profile-cli');
      const r = await anime(runArgs(out, unique('mtls-profile-cli')), { ...profileEnv('cluster'), ...queueEnv(queues) });
      expect(r.stderr).not.toMatch(/failed|cannot connect/);
      expect(r.exitCode).toBe(0);
      expect(existsSync(path.join(out, 'tone.es', 'tone.es.dub.mkv'))).toBe(true);

      const env = { ...isolated(), ...queueEnv(queues) };
      const result = await dubWithTypedClient(env, { profile: 'cluster', configFile, env: env as NodeJS.ProcessEnv }, unique('mtls-profile-api'));
      expect(result.lines).toBe(2);
      expect(existsSync(path.join(result.outputDir, result.outputs.mkv))).toBe(true);
    }, 170_000);
  });

  describe('without the client certificate', () => {
    const noCertEnv = (): Env => ({ ...tlsEnv(), TEMPORAL_TLS_CLIENT_CERT_PATH: undefined, TEMPORAL_TLS_CLIENT_KEY_PATH: undefined });

    it('the CLI exits 1 with an error naming the address and the profile (variables, then a profile)', async () => {
      const viaEnv = await anime(['list'], noCertEnv());
      expect(viaEnv.exitCode).toBe(1);
      expect(viaEnv.stderr).toContain(`cannot connect to Temporal at ${front.address} (profile "default", from TEMPORAL_* variables`);
      expect(viaEnv.stderr).toMatch(/no client certificate was sent/);
      const viaProfile = await anime(['status', 'some-job'], profileEnv('nocert'));
      expect(viaProfile.exitCode).toBe(1);
      expect(viaProfile.stderr).toContain(`cannot connect to Temporal at ${front.address} (profile "nocert" in ${configFile}`);
    }, 60_000);

    it('a worker exits 1 with the same error', async () => {
      const r = await execa(process.execPath, [path.join(PROJECT_ROOT, 'dist', 'workers', 'all.js')], { env: profileEnv('nocert'), reject: false, all: true, timeout: 60_000 });
      expect(r.exitCode).toBe(1);
      expect(r.all).toContain(`worker failed: cannot connect to Temporal at ${front.address} (profile "nocert" in ${configFile}`);
    }, 70_000);

    it('the typed client rejects with a TemporalConnectionError naming the address and the profile', async () => {
      const err = await connectClient({ env: noCertEnv() as NodeJS.ProcessEnv }).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(TemporalConnectionError);
      expect((err as Error).message).toContain(`cannot connect to Temporal at ${front.address} (profile "default"`);
    }, 60_000);

    it('a profile that is not in the file is a configuration error (exit 2) listing the profiles there', async () => {
      const r = await anime(['list'], profileEnv('prod'));
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toContain(`Temporal profile "prod" is not in ${configFile} (profiles there: cluster, nocert)`);
    }, 30_000);
  });
});

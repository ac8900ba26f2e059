// The `anime-dub` command as a user runs it: a real process, real exit codes, real output.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { shortClip } from '../fixtures/media.js';
import { PROJECT_ROOT, TEST_ADDRESS, workerPort } from '../support/env.js';
import { tempDir } from '../support/jobs.js';
import { queuesFor, startWorker, type WorkerProcess } from '../support/workers.js';

const CLI = path.join(PROJECT_ROOT, 'dist', 'client', 'cli.js');
const anime = (args: string[], env: Record<string, string> = {}, cwd?: string) =>
  execa(process.execPath, [CLI, ...args], { env: { ...env, CI: '1' }, reject: false, cwd, timeout: 170_000 });

// The CLI is what these test, not voices: one espeak-ng narrator keeps each dub cheap.
const ONE_VOICE = ['--tts', 'espeak-ng', '--set', 'tts.diarize=off'];

describe('anime-dub CLI', () => {
  it('`config` prints the effective configuration, env included', async () => {
    const r = await anime(['config'], { DUB_QUEUE_GPU: 'gpu-big', TGT_LANG: 'fr' });
    expect(r.exitCode).toBe(0);
    const cfg = JSON.parse(r.stdout);
    expect(cfg.queues.gpu).toBe('gpu-big');
    expect(cfg.job.tgt).toBe('fr');
  });

  it('a bad setting exits 2 with one message naming each bad key', async () => {
    const r = await anime(['config'], { DUB_CPU_CONCURRENCY: '0', MIX_DUCK_DB: 'loud' });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/concurrency\.cpu: .*\(got "0"\)/);
    expect(r.stderr).toMatch(/job\.mix\.duckDb: .*\(got "loud"\)/);
  });

  it('`doctor` lists every engine with its state', async () => {
    const r = await anime(['doctor']);
    for (const name of ['ffmpeg', 'pocketsphinx', 'apertium', 'espeak-ng', 'festival', 'temporal']) expect(r.stdout).toMatch(new RegExp(`ok\\s+\\S+\\s+${name}`));
    expect(r.stdout).toMatch(/pairs: .*eng-spa/);
    // Production engines are listed with how to install them, but their absence is not a broken install.
    expect(r.stdout).toMatch(/(ok|absent)\s+asr\s+whisper\b/);
    expect(r.stdout).not.toMatch(/MISSING/);
    expect(r.exitCode).toBe(0);
  });

  it('`run` refuses an option streaming does not do with the schema\'s message, exit 2, before any server starts', async () => {
    const r = await anime(['run', '/nowhere/ep01.mkv', '--stream', 'on', '--lipsync', 'wav2lip']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/invalid job options: lipsync\.engine: --lipsync wav2lip is not supported with --stream yet/);
    const dry = await anime(['run', '/nowhere/ep01.mkv', '--dry-run']);
    expect(dry.exitCode).toBe(2);
    expect(dry.stderr).toMatch(/stream\.dryRun: --dry-run works with --stream on/);
  });

  it('`--help` names the commands', async () => {
    const r = await anime(['--help']);
    for (const c of ['run', 'status', 'result', 'cancel', 'list', 'doctor', 'config', 'server', 'worker']) expect(r.stdout).toMatch(new RegExp(`\\n\\s+${c}\\b`));
  });

  describe('against a Temporal service (TEMPORAL_ADDRESS set, separate worker)', () => {
    const queues = queuesFor('cli');
    // The workers' output root, as a cluster's shared configuration would say it (--output names a folder inside).
    const env = { TEMPORAL_ADDRESS: TEST_ADDRESS, DUB_QUEUE_WORKFLOWS: queues.workflows, DUB_QUEUE_CPU: queues.cpu, DUB_QUEUE_GPU: queues.gpu, ANIME_DUB_OUTPUT_DIR: os.tmpdir() };
    let worker: WorkerProcess;
    beforeAll(async () => {
      await shortClip();
      worker = await startWorker('all', queues);
    }, 120_000);
    afterAll(async () => { await worker?.stop(); });

    it('`run` waits for the job, prints every output, exits 0; `status`, `result` and `list` see it', async () => {
      const out = await tempDir('cli');
      const r = await anime(['run', (await shortClip()).video, '--src', 'en', '--tgt', 'es', ...ONE_VOICE, '--output', out, '--workflow-id', 'cli-run-1'], env);
      expect(r.stderr + r.stdout).not.toMatch(/failed/);
      expect(r.exitCode).toBe(0);
      for (const f of ['short.es.dub.mp4', 'short.es.dub.mkv', 'short.en.src.srt', 'short.es.srt', 'report.json']) {
        expect(r.stdout).toContain(path.join(out, 'short.es', f));
        expect(existsSync(path.join(out, 'short.es', f))).toBe(true);
      }
      const status = await anime(['status', 'cli-run-1'], env);
      expect(status.stdout).toMatch(/COMPLETED/);
      expect(status.stdout).toMatch(/stage done, 100%/);
      const result = await anime(['result', 'cli-run-1'], env);
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toContain('short.es.dub.mkv');
      const list = await anime(['list', '--query', "WorkflowId = 'cli-run-1'"], env);
      expect(list.stdout).toMatch(/cli-run-1\s+COMPLETED\s+done/);
    }, 120_000);

    it('`run` on a missing file exits non-zero with the typed reason', async () => {
      const r = await anime(['run', '/nonexistent/episode 01.mkv', '--output', await tempDir('cli-bad')], env);
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(/InvalidMedia: input not found: \/nonexistent\/episode 01\.mkv/);
    }, 60_000);

    it('`run --detach` returns at once with the job id; `cancel` cancels it', async () => {
      const r = await anime(['run', (await shortClip()).video, ...ONE_VOICE, '--output', await tempDir('cli-detach'), '--workflow-id', 'cli-detach-1', '--detach'], env);
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toMatch(/Started job cli-detach-1/);
      const c = await anime(['cancel', 'cli-detach-1'], env);
      expect(c.exitCode).toBe(0);
    }, 60_000);
  });

  it('with no address it starts its own dev server (persistent state dir, UI with --ui) and an in-process worker, and reuses the server', async () => {
    const dir = await tempDir('embedded');
    const env = { TEMPORAL_ADDRESS: '', ANIME_DUB_STATE_DIR: path.join(dir, 'state'), ANIME_DUB_SERVER_PORT: String(workerPort(1)), ANIME_DUB_UI_PORT: String(workerPort(2)) };
    try {
      const r = await anime(['run', (await shortClip()).video, ...ONE_VOICE, '--ui', '--output', path.join(dir, 'Output')], env, dir);
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`Temporal UI: http://127\\.0\\.0\\.1:${workerPort(2)}/namespaces/default/workflows/dub-short-`));
      expect(existsSync(path.join(dir, 'state', 'temporal.db'))).toBe(true);
      const again = await anime(['server', 'start'], env, dir);
      expect(again.stdout).toMatch(new RegExp(`already running at 127\\.0\\.0\\.1:${workerPort(1)}`));
      const list = await anime(['list'], env, dir);
      expect(list.stdout).toMatch(/dub-short-\S+\s+COMPLETED\s+done/);
    } finally {
      await anime(['server', 'stop'], env, dir);
    }
  }, 180_000);
});

// Lip-sync plugin with a Wav2Lip stand-in (real Wav2Lip needs torch and weights we cannot install here).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { execa } from 'execa';
import type { JobOptionsInput } from '../../config/schema.js';
import type { DubJobResult } from '../../lib/job.js';
import { progressQuery } from '../../workflows/messages.js';
import { makeSpeechClip } from '../../scripts/speechClip.js';
import { MEDIA_DIR, shortClip, writeSrt } from '../fixtures/media.js';
import { makeWav2LipStandin, type StandinRepo } from '../fixtures/wav2lipStandin.js';
import { closeTestClient, jobInput, startJob, tempDir } from '../support/jobs.js';
import { probe } from '../support/media.js';
import { processesMentioning, waitFor } from '../support/processes.js';
import { queuesFor, startWorker, type Queues, type WorkerProcess } from '../support/workers.js';

async function rgbAt(file: string, atSec: number, width: number, x: number, y: number): Promise<[number, number, number]> {
  const { stdout } = await execa('ffmpeg', ['-nostdin', '-v', 'error', '-ss', String(atSec), '-i', file, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { encoding: 'buffer' });
  const i = (y * width + x) * 3;
  return [stdout[i], stdout[i + 1], stdout[i + 2]];
}
const isRed = ([r, g, b]: number[]) => r > 180 && g < 80 && b < 80;

describe('lip-sync plugin (with a Wav2Lip stand-in, real dev server and workers)', () => {
  let repo: StandinRepo;
  const workers: WorkerProcess[] = [];
  const lane = async (name: string, env: Record<string, string>): Promise<Queues> => {
    const queues = queuesFor(`lip-${name}`);
    workers.push(await startWorker('all', queues, env));
    return queues;
  };
  let ok: Queues;
  let failing: Queues;
  let hanging: Queues;
  let missing: Queues;

  // The short clip's own script as its subtitles: these jobs are about the plugin, not about which recognizer
  // made the lines, and Whisper was most of each one's CPU (nine jobs).
  let shortSubs: string;
  beforeAll(async () => {
    shortSubs = await writeSrt(path.join(await tempDir('lip-subs'), 'short.en.srt'), (await shortClip()).script);
    repo = await makeWav2LipStandin(path.join(await tempDir('wav2lip'), 'Wav2Lip'));
    [ok, failing, hanging, missing] = await Promise.all([
      lane('ok', { WAV2LIP_DIR: repo.dir, WAV2LIP_STANDIN_MODE: 'slow' }),
      lane('fail', { WAV2LIP_DIR: repo.dir, WAV2LIP_STANDIN_MODE: 'fail' }),
      lane('hang', { WAV2LIP_DIR: repo.dir, WAV2LIP_STANDIN_MODE: 'sleep' }),
      lane('missing', { WAV2LIP_DIR: '/nonexistent/Wav2Lip' }),
    ]);
  }, 180_000);
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await closeTestClient();
  });

  const dub = async (queues: Queues, lipsync: JobOptionsInput['lipsync'], video?: string) => {
    const input = jobInput(video ?? (await shortClip()).video, queues, await tempDir('lip'), { lipsync, ...(video ? {} : { subs: shortSubs }) });
    return startJob(input, queues);
  };

  it('runs inference.py with stock flags, the box in Wav2Lip order, inside the job folder, and muxes every track', async () => {
    const result: DubJobResult = await (await dub(ok, { engine: 'wav2lip', face: 'bbox', box: [40, 30, 120, 90] })).result();
    expect(result.lipsync).toEqual({ status: 'done', plugin: 'wav2lip', output: 'short.es.lipsync.mp4' });

    const work = path.join(result.outputDir, 'tmp', 'lipsync');
    const seen = JSON.parse(await readFile(path.join(work, 'temp', 'standin-argv.json'), 'utf8'));
    expect(seen.cwd).toBe(work);
    expect(seen.argv).toEqual([
      '--checkpoint_path', repo.checkpoint, '--face', 'face.mp4', '--audio', 'audio.wav', '--outfile', 'result_voice.mp4',
      '--pads', '0', '10', '0', '0', '--resize_factor', '1', '--box', '30', '90', '40', '120',
    ]);
    expect(existsSync(path.join(repo.dir, 'temp', 'result.avi'))).toBe(false); // nothing written in the repo

    const file = path.join(result.outputDir, result.outputs.lipsync!);
    const { streams, durationSec } = await probe(file);
    expect(streams.map((s) => `${s.codec_type}:${s.tags?.language ?? ''}`)).toEqual(['video:und', 'audio:spa', 'audio:eng', 'subtitle:eng', 'subtitle:spa']);
    expect(Math.abs(durationSec - (await probe((await shortClip()).video)).durationSec)).toBeLessThan(0.2);
    expect(isRed(await rgbAt(file, 1, 320, 80, 60))).toBe(true); // inside x 40..120, y 30..90
    expect(isRed(await rgbAt(file, 1, 320, 80, 150))).toBe(false); // below the box

    const report = JSON.parse(await readFile(path.join(result.outputDir, 'report.json'), 'utf8'));
    expect(report.lipsync.status).toBe('done');
  }, 120_000);

  it('center mode sends a box in the middle of the frame', async () => {
    const result: DubJobResult = await (await dub(ok, { engine: 'wav2lip', face: 'center' })).result();
    const seen = JSON.parse(await readFile(path.join(result.outputDir, 'tmp', 'lipsync', 'temp', 'standin-argv.json'), 'utf8'));
    expect(seen.argv.slice(seen.argv.indexOf('--box'))).toEqual(['--box', '48', '192', '96', '224']);
  }, 120_000);

  it('two jobs at once never share Wav2Lip’s temp folder', async () => {
    const other = await makeSpeechClip(path.join(MEDIA_DIR, 'short-two.mp4'), { lines: ['See you tomorrow.', 'Good night.'], leadSec: 0.5, gapSec: 1.5, tailSec: 0.5 });
    const [a, b] = await Promise.all([dub(ok, { engine: 'wav2lip', face: 'center' }), dub(ok, { engine: 'wav2lip', face: 'center' }, other.video)]);
    const [ra, rb]: DubJobResult[] = await Promise.all([a.result(), b.result()]);
    const cwds = await Promise.all([ra, rb].map(async (r) => JSON.parse(await readFile(path.join(r.outputDir, 'tmp', 'lipsync', 'temp', 'standin-argv.json'), 'utf8')).cwd));
    expect(cwds[0]).not.toEqual(cwds[1]);
    for (const [r, cwd] of [[ra, cwds[0]], [rb, cwds[1]]] as const) {
      expect(cwd.startsWith(r.outputDir + path.sep)).toBe(true);
      const own = await probe(path.join(r.outputDir, r.outputs.lipsync!));
      const mix = await probe(path.join(r.outputDir, r.outputs.mp4));
      expect(Math.abs(own.durationSec - mix.durationSec)).toBeLessThan(0.2);
    }
  }, 120_000);

  it('a missing install skips lip-sync and says why; the dub is still there', async () => {
    const result: DubJobResult = await (await dub(missing, { engine: 'wav2lip' })).result();
    expect(result.lipsync.status).toBe('skipped');
    expect(result.lipsync.reason).toMatch(/Wav2Lip repo not found \(looked for inference\.py in \/nonexistent\/Wav2Lip\)/);
    expect(existsSync(path.join(result.outputDir, result.outputs.mkv))).toBe(true);
    expect(existsSync(path.join(result.outputDir, 'short.es.lipsync.mp4'))).toBe(false);
    const report = JSON.parse(await readFile(path.join(result.outputDir, 'report.json'), 'utf8'));
    expect(report.lipsync).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/repo not found/) });
  }, 120_000);

  it('strict mode fails the job on a missing install, typed and non-retryable', async () => {
    const err = await (await dub(missing, { engine: 'wav2lip', strict: true })).result().then(() => undefined, (e) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause.type).toBe('PluginMissing');
    expect(cause.nonRetryable).toBe(true);
    expect(cause.message).toMatch(/lip-sync \(wav2lip\) unavailable: Wav2Lip repo not found/);
  }, 120_000);

  it('a failing run falls back with the stderr reason, or fails the job in strict mode', async () => {
    const soft: DubJobResult = await (await dub(failing, { engine: 'wav2lip', face: 'center' })).result();
    expect(soft.lipsync.status).toBe('skipped');
    expect(soft.lipsync.reason).toMatch(/CUDA out of memory/);
    const err = await (await dub(failing, { engine: 'wav2lip', face: 'center', strict: true })).result().then(() => undefined, (e) => e);
    expect(((err as WorkflowFailedError).cause as ApplicationFailure).message).toMatch(/lip-sync \(wav2lip\) failed: .*CUDA out of memory/);
  }, 120_000);

  it('a run past --lipsync-timeout is killed and skipped', async () => {
    const handle = await dub(hanging, { engine: 'wav2lip', face: 'center', timeoutSec: 10 });
    const result: DubJobResult = await handle.result();
    expect(result.lipsync.status).toBe('skipped');
    expect(result.lipsync.reason).toMatch(/timed out after 10000 ms/);
    expect(await processesMentioning(path.join(result.outputDir, 'tmp'))).toEqual([]);
    expect((await processesMentioning(repo.dir)).filter((p) => p.cmd.includes('inference.py'))).toEqual([]);
  }, 120_000);

  it('cancelling during lip-sync kills inference.py and the workflow ends cancelled', async () => {
    const handle = await dub(hanging, { engine: 'wav2lip', face: 'center' });
    await waitFor('the lipsync stage', async () => (await handle.query(progressQuery)).stage === 'lipsync', 60_000);
    const running = await waitFor('inference.py to run', async () => {
      const ps = (await processesMentioning(path.join(repo.dir, 'inference.py')));
      return ps.length > 0 && ps;
    }, 30_000, 50);
    await handle.cancel();
    const err = await handle.result().then(() => undefined, (e) => e);
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    const alive = (await processesMentioning(path.join(repo.dir, 'inference.py'))).filter((p) => running.some((r) => r.pid === p.pid));
    expect(alive).toEqual([]);
  }, 120_000);
});

describe('the Wav2Lip stand-in itself', () => {
  it('rejects a flag stock Wav2Lip does not have, as argparse does (exit 2)', async () => {
    const repo = await makeWav2LipStandin(path.join(await tempDir('wav2lip-argv'), 'Wav2Lip'));
    const r = await execa('python3', [path.join(repo.dir, 'inference.py'), '--checkpoint_path', repo.checkpoint, '--face', 'x.mp4', '--audio', 'a.wav', '--face_box', '1'], { reject: false });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/unrecognized arguments: --face_box 1/);
  });
});

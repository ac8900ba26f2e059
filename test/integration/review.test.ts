// The review loop against a real dev server and worker: edit one line, re-render, and only that line changes.
import { describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { copyFile, readFile, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { execa } from 'execa';
import type { DubJobResult } from '../../lib/job.js';
import { progressQuery } from '../../workflows/messages.js';
import { approveSignal, editLineUpdate } from '../../workflows/messages.js';
import { dialogueClip, shortClip } from '../fixtures/media.js';
import { PROJECT_ROOT, TEST_ADDRESS } from '../support/env.js';
import { jobInput, startJob, tempDir } from '../support/jobs.js';
import { waitFor } from '../support/processes.js';
import { withWorker } from '../support/workers.js';

const CLI = path.join(PROJECT_ROOT, 'dist', 'client', 'cli.js');

/** Mono 8 kHz PCM of one audio stream, for sample-level comparison. */
async function pcm(file: string, stream: number): Promise<Int16Array> {
  const { stdout } = await execa('ffmpeg', ['-nostdin', '-v', 'error', '-i', file, '-map', `0:a:${stream}`, '-ac', '1', '-ar', '8000', '-f', 's16le', '-'], { encoding: 'buffer' });
  return new Int16Array(stdout.buffer, stdout.byteOffset, Math.floor(stdout.length / 2));
}

/** RMS (dBFS) of a − b over [from, to) seconds. */
function diffDb(a: Int16Array, b: Int16Array, from: number, to: number): number {
  let sum = 0;
  let n = 0;
  for (let i = Math.max(0, Math.floor(from * 8000)); i < Math.min(a.length, b.length, Math.floor(to * 8000)); i++) {
    const d = (a[i] - b[i]) / 32768;
    sum += d * d;
    n++;
  }
  return n ? 10 * Math.log10(sum / n + 1e-12) : -120;
}

describe('review loop (real dev server and worker)', () => {
  const queues = withWorker('review', { prepare: dialogueClip });
  const env = { TEMPORAL_ADDRESS: TEST_ADDRESS, DUB_QUEUE_WORKFLOWS: queues.workflows, DUB_QUEUE_CPU: queues.cpu, DUB_QUEUE_GPU: queues.gpu, ANIME_DUB_OUTPUT_DIR: os.tmpdir() };

  it('edit one line and render again: exactly one line is re-synthesized, only its span changes, v1 stays', async () => {
    const clip = await dialogueClip();
    const out = await tempDir('review');
    const first: DubJobResult = await (await startJob(jobInput(clip.video, queues, out, { tts: { engine: 'espeak-ng' } }), queues)).result();
    const dir = first.outputDir;
    const logBefore = (await readFile(path.join(dir, 'tmp', 'commands.jsonl'), 'utf8')).split('\n').filter(Boolean).length;

    const mixV1 = path.join(dir, 'mix.v1.keep.wav');
    await copyFile(path.join(dir, 'audio', 'mix.48k.wav'), mixV1);
    const edit = await execa(process.execPath, [CLI, 'review', dir, 'edit', '3', '--text', '¿Dónde está la estación de tren?'], { env, reject: false });
    expect(edit.exitCode).toBe(0);
    expect(edit.stdout).toMatch(/3 .* edited .*\n.*→ ¿Dónde está la estación de tren\?/);
    const render = await execa(process.execPath, [CLI, 'review', dir, 'render'], { env, reject: false });
    expect(render.stderr).not.toMatch(/failed/);
    expect(render.exitCode).toBe(0);
    expect(render.stdout).toMatch(/Re-synthesized 1 of 6 lines/);

    const newCommands = (await readFile(path.join(dir, 'tmp', 'commands.jsonl'), 'utf8')).split('\n').filter(Boolean).slice(logBefore).map((l) => JSON.parse(l).argv[0]);
    expect(newCommands.filter((c: string) => c === 'espeak-ng' || c === 'text2wave')).toHaveLength(1);
    expect(newCommands).not.toContain('pocketsphinx_batch');
    expect(newCommands).not.toContain('apertium');

    const v1 = path.join(dir, 'dialogue.es.dub.mkv');
    const v2 = path.join(dir, 'dialogue.es.dub.v2.mkv');
    expect(existsSync(v1)).toBe(true);
    expect(existsSync(v2)).toBe(true);
    const [a, b] = await Promise.all([pcm(v1, 0), pcm(v2, 0)]);
    const report = JSON.parse(await readFile(path.join(dir, 'report.json'), 'utf8'));
    const row = report.lines.find((l: { index: number }) => l.index === 3);
    expect(row).toMatchObject({ edited: true, ttsReused: false, target: '¿Dónde está la estación de tren?' });
    expect(report.lines.filter((l: { ttsReused: boolean }) => !l.ttsReused)).toHaveLength(1);
    const [from, to] = [row.slot.start - 0.05, row.slot.end + 0.05];
    expect(diffDb(a, b, from, to)).toBeGreaterThan(-40); // the edited line really changed
    // The mixes themselves: identical outside the edited line (silence-level difference).
    const [mixA, mixB] = await Promise.all([pcm(mixV1, 0), pcm(path.join(dir, 'audio', 'mix.48k.wav'), 0)]);
    expect(diffDb(mixA, mixB, 0, from)).toBeLessThan(-60);
    expect(diffDb(mixA, mixB, to, clip.durationSec)).toBeLessThan(-60);
    // The AAC in the containers: the encoder's rate control carries state across frames, so a changed line
    // nudges later frames by an inaudible amount (about −58 dB at −16 LUFS); far below the edited line's change.
    expect(diffDb(a, b, 0, from)).toBeLessThan(-50);
    expect(diffDb(a, b, to, clip.durationSec)).toBeLessThan(-50);
  }, 240_000);

  it('--review pauses after translation; editLine validates; approve lets the job finish with the edit', async () => {
    const clip = await shortClip();
    const handle = await startJob(jobInput(clip.video, queues, await tempDir('review-pause'), { review: { pause: true } }), queues);
    await waitFor('the review stage', async () => (await handle.query(progressQuery)).stage === 'review', 60_000);

    const rejected = async (req: Record<string, unknown>) => {
      const err = await handle.executeUpdate(editLineUpdate, { args: [req as never] }).then(() => undefined, (e) => e);
      expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
      return String((err as WorkflowUpdateFailedError).cause?.message);
    };
    expect(await rejected({ index: 7, text: 'Hola' })).toMatch(/no line 7: lines are numbered 0\.\.1/);
    expect(await rejected({ index: 0, text: '   ' })).toMatch(/line 0: the text is empty/);
    expect(await rejected({ index: 1, start: 5, end: 2 })).toMatch(/line 1: start must be ≥ 0 and before end/);

    const line = await handle.executeUpdate(editLineUpdate, { args: [{ index: 1, text: 'Mil gracias.' }] });
    expect(line.target).toBe('Mil gracias.');
    await handle.signal(approveSignal);
    const result: DubJobResult = await handle.result();
    const srt = await readFile(path.join(result.outputDir, result.outputs.targetSrt), 'utf8');
    expect(srt).toContain('Mil gracias.');
    const saved = JSON.parse(await readFile(path.join(result.outputDir, 'review.json'), 'utf8'));
    expect(saved.edits['1']).toEqual({ text: 'Mil gracias.' });
  }, 120_000);

  it('the example client script drives a job end to end (start, editLine, approve, result)', async () => {
    const r = await execa(process.execPath, [path.join(PROJECT_ROOT, 'dist', 'scripts', 'exampleClient.js'), (await shortClip()).video, await tempDir('example')], { env, reject: false });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/edited line 0: Hola a todos, buenos días\./);
    expect(r.stdout).toMatch(/rejected as expected: no line 99/);
    expect(r.stdout).toMatch(/done: .*short\.es\.dub\.mkv/);
    expect(r.exitCode).toBe(0);
  }, 120_000);

  it('a batch of three files where one is broken: two dubs and one clear error', async () => {
    const dir = await tempDir('batch');
    const inbox = path.join(dir, 'inbox');
    await mkdir(inbox);
    const clip = await shortClip();
    await execa('cp', [clip.video, path.join(inbox, 'a.mp4')]);
    await execa('cp', [clip.video, path.join(inbox, 'b.mp4')]);
    await writeFile(path.join(inbox, 'broken.mp4'), 'not a video at all\n');
    const r = await execa(process.execPath, [CLI, 'run', inbox, '--output', path.join(dir, 'Output')], { env, reject: false, timeout: 170_000 });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/a\.mp4\s+ok/);
    expect(r.stdout).toMatch(/b\.mp4\s+ok/);
    expect(r.stdout).toMatch(/broken\.mp4\s+FAILED .*InvalidMedia: broken\.mp4 is not a video ffmpeg can read/);
    expect(r.stdout).toMatch(/2 of 3 dubbed, 1 failed/);
    expect(existsSync(path.join(dir, 'Output', 'a.es', 'a.es.dub.mkv'))).toBe(true);
    expect(existsSync(path.join(dir, 'Output', 'b.es', 'b.es.dub.mkv'))).toBe(true);
  }, 180_000);
});

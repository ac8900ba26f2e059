// The bad-input corpus (test/fixtures/badInputs.ts), each case against a real dev server and worker: a typed,
// non-retryable failure naming the problem, or a clean success; no retry storm; nothing written outside
// Output/<job>/; no orphan subprocess.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { execa } from 'execa';
import { fileStem } from '../../storage/jobFolder.js';

/** The job folder a case's input gets: <stem>.<dub language>. */
const folderOf = (input: { video: string; tgt?: string }) => `${fileStem(input.video)}.${input.tgt ?? 'es'}`;
import { makeBadInputs, type BadCase } from '../fixtures/badInputs.js';
import { shortClip } from '../fixtures/media.js';
import { closeTestClient, jobInput, startJob, tempDir } from '../support/jobs.js';
import { processesMentioning } from '../support/processes.js';
import { queuesFor, startWorker, type WorkerProcess } from '../support/workers.js';

const tree = async (dir: string) => (await readdir(dir, { recursive: true })).map(String).sort();

describe('bad-input corpus (real dev server and workers)', () => {
  const lanes = { default: queuesFor('corpus'), 'no-espeak': queuesFor('corpus-noespeak') };
  const workers: WorkerProcess[] = [];
  let corpusDir: string;
  let cases: BadCase[];
  beforeAll(async () => {
    await shortClip();
    corpusDir = path.join(await tempDir('corpus'), 'inputs');
    cases = await makeBadInputs(corpusDir);
    // A PATH with every program of /usr/bin but espeak-ng: "a missing engine binary".
    const bin = path.join(await tempDir('corpus-bin'), 'bin');
    await mkdir(bin);
    for (const name of await readdir('/usr/bin')) if (!name.startsWith('espeak')) await symlink(path.join('/usr/bin', name), path.join(bin, name)).catch(() => {});
    workers.push(await startWorker('all', lanes.default));
    workers.push(await startWorker('all', lanes['no-espeak'], { PATH: bin }));
  }, 180_000);
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await closeTestClient();
  });

  it('has at least 25 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
  });

  // One test per case, so a regression names the case.
  const names = ['an empty file', 'a truncated MP4', 'a text file renamed .mp4', 'audio only', 'video only', 'a 0-second video',
    'an unsupported codec', 'a claimed duration past the limit', 'a folder instead of a file', 'a missing file',
    'the file name "ep 01 with spaces.mp4"', `the file name "it's \\"quoted\\".mp4"`, 'the file name "line\\nbreak.mp4"',
    'the file name "アニメ 第1話.mp4"', 'the file name "$(touch pwned);rm -rf x`id`.mp4"', 'the file name "-starts-with-dash.mp4"',
    'a symlink pointing outside the folder', 'a malformed SRT', 'a malformed WebVTT', 'an ASS file whose dialogue has no times',
    'a binary file given as subtitles', 'subtitles that all start after the video ends', 'a missing subtitle file', 'invalid option values', 'a bad option combination', 'another bad combination',
    'an unknown engine', 'a known engine that is not installed', 'an unsupported language pair', 'a source language pocketsphinx cannot hear', 'a source language Whisper does not know', 'a missing engine binary',
    'an output folder outside the output root', 'an output folder climbing out of the output root'];
  for (const name of names) {
    it(name, async () => {
      const c = cases.find((x) => x.name === name);
      expect(c).toBeDefined();
      const queues = lanes[c!.lane ?? 'default'];
      const out = await tempDir('corpus-out');
      const before = await tree(corpusDir);
      const handle = await startJob({ ...jobInput(c!.input.video, queues, out), ...c!.input } as never, queues);
      const started = Date.now();
      const outcome = await handle.result().then(() => undefined, (e) => e);
      if ('success' in c!.expect) {
        expect(outcome).toBeUndefined();
        expect(existsSync(path.join(out, folderOf(c!.input), `${fileStem(c!.input.video)}.${c!.input.tgt ?? 'es'}.dub.mkv`))).toBe(true);
      } else {
        expect(outcome).toBeInstanceOf(WorkflowFailedError);
        const cause = (outcome as WorkflowFailedError).cause as ApplicationFailure;
        expect({ type: cause.type, message: cause.message }).toEqual({ type: c!.expect.type, message: expect.stringMatching(c!.expect.message) });
        expect(cause.nonRetryable).toBe(true);
        // Fast, not timed to the second: suites run side by side; a retried failure would take minutes (the
        // attempts are checked below).
        expect(Date.now() - started).toBeLessThan(30_000);
      }
      // no retry storm: every activity ran once
      const attempts = (await handle.fetchHistory()).events!.filter((e) => e.activityTaskStartedEventAttributes).map((e) => e.activityTaskStartedEventAttributes!.attempt);
      expect(attempts.every((a) => a === 1)).toBe(true);
      // nothing written next to the inputs; in the output root, at most the job's own folder
      expect(await tree(corpusDir)).toEqual(before);
      const outTop = existsSync(out) ? await readdir(out) : [];
      expect(outTop.filter((n) => n !== folderOf(c!.input))).toEqual([]);
      expect(existsSync(path.join(process.cwd(), 'pwned'))).toBe(false);
      expect(await processesMentioning(out)).toEqual([]);
    }, 120_000);
  }

  it('a full disk → OutputNotWritable once, not a retry storm (1 MiB tmpfs)', async () => {
    const mountPoint = await tempDir('corpus-full');
    const mounted = await execa('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mountPoint], { reject: false });
    if (mounted.exitCode !== 0) throw new Error(`cannot mount a tmpfs here (${mounted.stderr.trim()}): this machine cannot show a full disk`);
    try {
      const handle = await startJob(jobInput((await shortClip()).video, lanes.default, mountPoint), lanes.default);
      const err = await handle.result().then(() => undefined, (e) => e);
      const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
      expect(cause.type).toBe('OutputNotWritable');
      expect(cause.message).toMatch(/No space left on device|disk is full/);
      const attempts = (await handle.fetchHistory()).events!.filter((e) => e.activityTaskStartedEventAttributes).map((e) => e.activityTaskStartedEventAttributes!.attempt);
      expect(Math.max(...attempts.map(Number))).toBe(1);
    } finally {
      await execa('umount', [mountPoint], { reject: false });
      await rm(mountPoint, { recursive: true, force: true });
    }
  }, 120_000);
});

// Bad input fails fast, typed and non-retryable, and writes nothing outside Output/<job>/.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { copyFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { JobOptionsInput } from '../../config/schema.js';
import { shortClip, textFileNamedMp4, videoWithoutAudio } from '../fixtures/media.js';
import { jobInput, startJob, tempDir } from '../support/jobs.js';
import { withWorker } from '../support/workers.js';

async function listTree(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map(String).sort();
}

describe('bad input (real dev server and worker)', () => {
  const queues = withWorker('bad', { prepare: shortClip });
  // The inputs sit in a folder of their own: the shared media cache changes while other suites run beside this one.
  let inputs = '';
  beforeAll(async () => { inputs = await tempDir('bad-inputs'); });
  const own = async (file: string) => {
    const copy = path.join(inputs, path.basename(file));
    await copyFile(file, copy);
    return copy;
  };

  async function expectTypedFailure(input: Partial<JobOptionsInput> & { video: string }, type: string, message: RegExp) {
    const out = await tempDir('bad');
    const mediaBefore = await listTree(inputs);
    const started = Date.now();
    const handle = await startJob(jobInput(input.video, queues, out, input), queues);
    const err = await handle.result().then(() => undefined, (e) => e);
    const elapsed = Date.now() - started;
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).type).toBe(type);
    expect((cause as ApplicationFailure).nonRetryable).toBe(true);
    expect(cause!.message).toMatch(message);
    expect(elapsed).toBeLessThan(30_000); // fast; the attempts below prove no retry (suites run side by side)
    // one attempt only: no retry storm
    const history = await handle.fetchHistory();
    const attempts = history.events!.filter((e) => e.activityTaskStartedEventAttributes).map((e) => e.activityTaskStartedEventAttributes!.attempt);
    expect(attempts.every((a) => a === 1)).toBe(true);
    // nothing written next to the input, and nothing in the output root but the job's own folder
    expect(await listTree(inputs)).toEqual(mediaBefore);
    const top = await readdir(out);
    expect(top.filter((n) => n !== path.basename(input.video, path.extname(input.video)))).toEqual([]);
    return cause!.message;
  }

  it('a missing file → InvalidMedia naming the path', async () => {
    await expectTypedFailure({ video: path.join(inputs, 'no-such-episode.mkv') }, 'InvalidMedia', /input not found: .*no-such-episode\.mkv/);
  });

  it('a text file named .mp4 → InvalidMedia saying ffmpeg cannot read it', async () => {
    await expectTypedFailure({ video: await own(await textFileNamedMp4()) }, 'InvalidMedia', /not-a-video\.mp4 is not a video ffmpeg can read/);
  });

  it('a video without an audio stream → InvalidMedia listing its streams', async () => {
    await expectTypedFailure({ video: await own(await videoWithoutAudio()) }, 'InvalidMedia', /has no audio stream \(streams: h264 video\)/);
  });

  it('an unsupported language pair → UnsupportedLanguage listing the installed pairs', async () => {
    await expectTypedFailure({ video: await own((await shortClip()).video), tgt: 'ja' }, 'UnsupportedLanguage', /apertium pair eng-jpn is not installed; installed pairs: .*eng-spa/);
  });

  it('invalid options from any starter → InvalidConfig naming each bad key', async () => {
    await expectTypedFailure({ video: await own((await shortClip()).video), synthesisConcurrency: 0, fit: { maxSpeed: 7 } } as never, 'InvalidConfig', /synthesisConcurrency.*fit\.maxSpeed/);
  });
});

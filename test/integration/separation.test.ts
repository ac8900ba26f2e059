// Dialogue/background separation with a demucs stand-in (real demucs needs torch and model weights we cannot
// install here): the mix goes over demucs's no_vocals stem, the report says so, the loudness is on target;
// without separation the original is ducked as before; asking for demucs where it is missing fails fast.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { run } from '../../engines/run.js';
import { ebur128Argv, parseEbur128 } from '../../engines/ebur128.js';
import type { DubJobResult } from '../../lib/job.js';
import { shortClip } from '../fixtures/media.js';
import { closeTestClient, jobInput, startJob, tempDir } from '../support/jobs.js';
import { PROJECT_ROOT } from '../support/env.js';
import { probe } from '../support/media.js';
import { queuesFor, startWorker, type Queues, type WorkerProcess } from '../support/workers.js';

const STANDINS = path.join(PROJECT_ROOT, 'test', 'fixtures', 'standins');
const WITH_STANDINS = `${STANDINS}${path.delimiter}${process.env.PATH ?? ''}`;

interface Command { argv: string[] }
async function commandsOf(result: DubJobResult): Promise<string[][]> {
  const text = await readFile(path.join(result.outputDir, 'tmp', 'commands.jsonl'), 'utf8');
  return text.trim().split('\n').map((l) => (JSON.parse(l) as Command).argv);
}

describe('separation (demucs stand-in), real dev server and workers', () => {
  const workers: WorkerProcess[] = [];
  let standin: Queues;
  let plain: Queues;

  beforeAll(async () => {
    await shortClip();
    standin = queuesFor('sep-standin');
    plain = queuesFor('sep-plain');
    workers.push(await startWorker('all', standin, { PATH: WITH_STANDINS }), await startWorker('all', plain));
  }, 180_000);
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await closeTestClient();
  });

  let lastHandle: Awaited<ReturnType<typeof startJob>>;
  const dub = async (queues: Queues, mix: Record<string, unknown>): Promise<DubJobResult> => {
    const input = jobInput((await shortClip()).video, queues, await tempDir('sep'), { mix });
    lastHandle = await startJob(input, queues);
    return lastHandle.result();
  };

  it('mixes the dub over no_vocals.wav, says so in the report, and meets the loudness target (stand-in)', async () => {
    const result = await dub(standin, { separation: 'demucs' });
    const commands = await commandsOf(result);
    const demucs = commands.find((a) => a[0] === 'demucs');
    expect(commands.filter((a) => a[0] === 'demucs')).toHaveLength(1); // separated once, before the mix
    // Separation is its own step of the pipeline, on the GPU queue (as DESIGN.md places it).
    const scheduled = ((await lastHandle.fetchHistory()).events ?? []).map((e) => e.activityTaskScheduledEventAttributes).filter((a) => a?.activityType?.name === 'separateAudio');
    expect(scheduled.map((a) => a?.taskQueue?.name)).toEqual([standin.gpu]);
    expect(demucs).toEqual(['demucs', '--two-stems', 'vocals', '-n', 'htdemucs', '-o', expect.stringMatching(/tmp\/separation$/), expect.stringMatching(/audio\/original\.48k\.wav$/)]);
    const premix = commands.find((a) => a.includes('-filter_complex_script'));
    expect(premix?.[premix.indexOf('-i') + 1]).toBe(path.join(result.outputDir, 'audio', 'separated', 'no_vocals.wav'));
    expect(existsSync(path.join(result.outputDir, 'audio', 'separated', 'no_vocals.wav'))).toBe(true);

    const report = JSON.parse(await readFile(path.join(result.outputDir, 'report.json'), 'utf8'));
    expect(report.engines.separation).toBe('demucs');
    expect(report.mix.background).toEqual({ kind: 'separated', engine: 'demucs', path: 'audio/separated/no_vocals.wav' });
    const html = await readFile(path.join(result.outputDir, 'report.html'), 'utf8');
    expect(html).toContain('no_vocals.wav');

    const mix = await probe(path.join(result.outputDir, 'audio', 'mix.48k.wav'));
    expect(mix.streams[0]).toMatchObject({ sample_rate: '48000', channels: 2 });
    const heard = parseEbur128((await run(ebur128Argv(path.join(result.outputDir, result.outputs.mkv), 0))).stderr);
    expect(Math.abs(heard.integratedLufs - -16)).toBeLessThanOrEqual(1);
    expect(heard.truePeakDb).toBeLessThanOrEqual(-1);
  }, 240_000);

  it('ducks the original when separation is off, even with demucs installed', async () => {
    const result = await dub(standin, { separation: 'off' });
    expect((await commandsOf(result)).some((a) => a[0] === 'demucs')).toBe(false);
    const report = JSON.parse(await readFile(path.join(result.outputDir, 'report.json'), 'utf8'));
    expect(report.engines.separation).toBe('off');
    expect(report.mix.background).toMatchObject({ kind: 'ducked', reason: 'separation off' });
  }, 240_000);

  it('auto without demucs ducks and says why; --separation demucs without it fails before any work', async () => {
    const result = await dub(plain, { separation: 'auto' });
    const report = JSON.parse(await readFile(path.join(result.outputDir, 'report.json'), 'utf8'));
    expect(report.mix.background).toMatchObject({ kind: 'ducked', reason: 'demucs is not installed (pip install demucs)' });

    const err = await dub(plain, { separation: 'demucs' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).type).toBe('EngineMissing');
    expect((cause as ApplicationFailure).message).toMatch(/pip install demucs/);
  }, 240_000);
});

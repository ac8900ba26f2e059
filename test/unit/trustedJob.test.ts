// The PreparedJob check every activity runs (activities/trustedJob.ts) and the workflow-side origin checks
// (workflows/entryPoints.ts), on a real temp output root: forged jobs are refused naming what is wrong.
import { describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadSettings } from '../../config/load.js';
import { jobOptionsSchema } from '../../config/schema.js';
import { preparedJobProblems, withWorkerLimits } from '../../activities/trustedJob.js';
import { chunkOriginProblem, resumeOriginProblem } from '../../workflows/entryPoints.js';
import { festivalArgv, espeakArgv } from '../../engines/tts.js';
import { lineTextProblem, scriptProblem } from '../../lib/speechBudget.js';
import { readNamedFile } from '../../engines/namedFile.js';

async function rootWithJob() {
  const root = await mkdtemp(path.join(os.tmpdir(), 'anime-dub-trust-'));
  await mkdir(path.join(root, 'ep.en', 'chunks', 'chunk_000'), { recursive: true });
  await writeFile(path.join(root, 'ep.en', '.input.json'), '{}');
  const video = path.join(root, 'ep.mp4');
  await writeFile(video, 'x');
  const settings = loadSettings({ ANIME_DUB_OUTPUT_DIR: root });
  const options = jobOptionsSchema.parse({ video, tgt: 'en' });
  const prep = {
    job: { root, name: 'ep.en' }, options, ttsEngine: 'festival',
    media: { path: video, durationSec: 10, video: { codec: 'h264', width: 1, height: 1, fps: 25 }, audio: { codec: 'aac', sampleRate: 48000, channels: 2 } },
  };
  return { root, settings, prep };
}

describe('a PreparedJob given to an activity', () => {
  it('passes when it is one prepareJob could have made (a job folder, a chunk folder inside it)', async () => {
    const { root, settings, prep } = await rootWithJob();
    expect(await preparedJobProblems(prep, settings)).toEqual([]);
    expect(await preparedJobProblems({ ...prep, job: { root: path.join(root, 'ep.en', 'chunks'), name: 'chunk_000' } }, settings)).toEqual([]);
  });

  it('is refused with a festival voice carrying Scheme, a folder outside the root, a link, a raised limit or a foreign queue', async () => {
    const { root, settings, prep } = await rootWithJob();
    const shell = 'cmu_us_slt_arctic_hts) (system "id")';
    const problems = async (p: unknown) => (await preparedJobProblems(p, settings)).join('; ');
    expect(await problems({ ...prep, options: { ...prep.options, tts: { ...prep.options.tts, voice: shell } } })).toMatch(/options: tts\.voice: a voice name/);
    expect(await problems({ ...prep, voices: { engine: 'festival', speakers: [{ speaker: 'S1', voice: shell }] } })).toMatch(/voices: speakers\.0\.voice/);
    expect(await problems({ ...prep, job: { root: '/etc', name: 'x' } })).toMatch(/a folder inside the worker's output root/);
    expect(await problems({ ...prep, job: { root, name: '../x' } })).toMatch(/output root/);
    expect(await problems({ ...prep, job: { root, name: 'nojob' } })).toMatch(/does not exist/);
    await symlink(os.tmpdir(), path.join(root, 'ep.en', 'tmp'));
    expect(await problems(prep)).toMatch(/holds a link \(tmp\)/);
    const { prep: p2, settings: s2 } = await rootWithJob();
    expect((await preparedJobProblems({ ...p2, options: { ...p2.options, limits: { maxInputHours: 1000 } } }, s2)).join()).toMatch(/maxInputHours: at most the worker's 12 h/);
    expect((await preparedJobProblems({ ...p2, options: { ...p2.options, queues: { ...p2.options.queues, gpu: 'elsewhere' } } }, s2)).join()).toMatch(/queues\.gpu: one of the worker's task queues/);
    expect((await preparedJobProblems({ ...p2, media: { ...p2.media, path: '/etc/passwd' } }, s2)).join()).toMatch(/media\.path/);
    expect((await preparedJobProblems({ ...p2, ttsEngine: 'sh' }, s2)).join()).toMatch(/ttsEngine/);
    // The settled fit limits may lower the job's fastest speed (the speech cap), never raise it.
    expect(await preparedJobProblems({ ...p2, fit: { ...p2.options.fit, maxSpeed: 1.1 } }, s2)).toEqual([]);
    expect((await preparedJobProblems({ ...p2, fit: { ...p2.options.fit, maxSpeed: 2 } }, s2)).join()).toMatch(/fit\.maxSpeed: at most the job's fit\.maxSpeed 1\.25/);
  });

  it('job limits above the worker\'s are brought down to them; a queue the worker does not serve is refused', async () => {
    const { settings, prep } = await rootWithJob();
    const s = loadSettings({ ANIME_DUB_OUTPUT_DIR: settings.outputDir, DUB_MAX_INPUT_HOURS: '2', DUB_HEARTBEAT_SEC: '10' });
    const o = withWorkerLimits(jobOptionsSchema.parse({ video: prep.media.path, limits: { maxInputHours: 1000 }, timeouts: { heartbeatSec: 600 } }), s);
    expect([o.limits.maxInputHours, o.timeouts.heartbeatSec]).toEqual([2, 10]);
    expect(() => withWorkerLimits(jobOptionsSchema.parse({ video: prep.media.path, queues: { cpu: 'x' } }), s)).toThrow(/queues\.cpu: one of the worker's task queues/);
  });
});

describe('workflow origins', () => {
  it('a chunk runs only as its parent\'s child under the id the parent gives it', () => {
    expect(chunkOriginProblem({ workflowId: 'a-chunk-000', attempt: 1 }, 0)).toMatch(/started only by its streamDub parent/);
    expect(chunkOriginProblem({ workflowId: 'b-chunk-000', attempt: 1, parent: { workflowId: 'a' } }, 0)).toMatch(/expected the id a-chunk-000/);
    expect(chunkOriginProblem({ workflowId: 'a-chunk-003', attempt: 1, parent: { workflowId: 'a' } }, 3)).toBeUndefined();
  });
  it('resume only in a run continued as new (not a fresh start, a retry or a cron run)', () => {
    expect(resumeOriginProblem({ workflowId: 'a', attempt: 1 }, true)).toMatch(/resume/);
    expect(resumeOriginProblem({ workflowId: 'a', attempt: 2, continuedFromExecutionRunId: 'r' }, true)).toMatch(/resume/);
    expect(resumeOriginProblem({ workflowId: 'a', attempt: 1, cronSchedule: '* * * * *', continuedFromExecutionRunId: 'r' }, true)).toMatch(/resume/);
    expect(resumeOriginProblem({ workflowId: 'a', attempt: 1, continuedFromExecutionRunId: 'r' }, true)).toBeUndefined();
    expect(resumeOriginProblem({ workflowId: 'a', attempt: 1 }, false)).toBeUndefined();
  });
});

describe('values checked where the argv is built', () => {
  it('festival takes only a plain symbol; espeak-ng only a voice name and a sane rate', () => {
    expect(festivalArgv('/o.wav', 'cmu_us_slt_arctic_hts')).toContain('(voice_cmu_us_slt_arctic_hts)');
    expect(() => festivalArgv('/o.wav', 'x) (system "id")')).toThrow(/not a valid festival voice/);
    expect(() => espeakArgv('/o.wav', '--help', 165)).toThrow(/espeak-ng voice/);
    expect(() => espeakArgv('/o.wav', 'en+f2', Number.NaN)).toThrow(/words per minute/);
    expect(espeakArgv('/o.wav', 'en+f2', 150, 95)).toEqual(['espeak-ng', '-v', 'en+f2', '-p', '95', '-s', '150', '-w', '/o.wav', '--stdin']);
    expect(() => espeakArgv('/o.wav', 'en+f2', 150, 120)).toThrow(/pitch/);
  });
});

describe('speech bounded by time, named files bounded by size', () => {
  it('a line holds at most 200 + 40/s characters; a script at most 50 + 4/s lines', () => {
    expect(lineTextProblem({ index: 4, start: 62, end: 63.8 }, 'a'.repeat(272))).toBeUndefined();
    expect(lineTextProblem({ index: 4, start: 62, end: 63.8 }, 'a'.repeat(60_000))).toBe('line 5 (at 00:01:02.000) holds 60000 characters for a 1.8 s slot; a line of that length holds at most 272');
    const many = Array.from({ length: 100 }, (_, i) => ({ index: i, start: 0.05 * i, end: 0.05 * i + 0.5, text: 'hi' }));
    expect(scriptProblem(many, 6)).toBe('100 lines for a 6.0 s input; at most 74 can be voiced in it');
  });
  it('a device or a FIFO is refused without blocking; a file over the cap by its size', async () => {
    await expect(readNamedFile('/dev/zero', { flag: '--glossary', maxBytes: 1024, type: 'InvalidConfig' })).rejects.toThrow(/not a regular file/);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'anime-dub-named-'));
    await writeFile(path.join(dir, 'big.tsv'), 'x'.repeat(2048));
    await expect(readNamedFile(path.join(dir, 'big.tsv'), { flag: '--glossary', maxBytes: 1024, type: 'InvalidConfig' })).rejects.toThrow(/big\.tsv is 2 KB; it may be at most 1 KB/);
  });
});

// The anime mouth-flap lip-sync plugin, for real: animeface (PyPI) on sprites from Debian's renpy-thequestion,
// animated to a Japanese voice and dubbed to English with other timing, through a real dev server and worker.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import { execa } from 'execa';
import type { JobOptionsInput } from '../../config/schema.js';
import { DEFAULT_ENGINE_PYTHON } from '../../engines/engineHost.js';
import type { DubJobResult } from '../../lib/job.js';
import { animeClip, SPRITES_DIR, type AnimeClip } from '../fixtures/animeClip.js';
import { toneClip } from '../fixtures/toneClip.js';
import { PROJECT_ROOT } from '../support/env.js';
import { closeTestClient, jobInput, startJob, tempDir } from '../support/jobs.js';
import { queuesFor, startWorker, type Queues, type WorkerProcess } from '../support/workers.js';

interface FlapReport {
  frames: number;
  shots: Array<{
    start: number; end: number; frames: number; detections: number; detectionsWithFace: number;
    faces: Array<{ id: number; box: number[]; framesDetected: number; framesFollowed: number; mouthStates: number }>;
    lines: Array<{ index: number; speaker: number | null }>;
    linesRetimed: number[]; framesChanged: number;
  }>;
  seconds: { total: number };
}
interface Truth { fps: number; shots: number[]; faces: Array<Record<'blue' | 'green', { mouth: number[]; open: boolean }>> }
interface Character { speechFrames: number; openInSpeech: number; silentFrames: number; closedInSilence: number; agreesWithSource: number }
interface Measured { characters: Record<'blue' | 'green', Character>; psnrOutsideMouths: number }

const OUTFITS = ['blue', 'green'] as const;

describe('anime mouth-flap lip-sync (animeface on Debian renpy-thequestion sprites, real dev server and worker)', () => {
  const workers: WorkerProcess[] = [];
  let ok: Queues;
  let missing: Queues;
  let clip: AnimeClip;

  beforeAll(async () => {
    clip = await animeClip();
    ok = queuesFor('flap-ok');
    missing = queuesFor('flap-missing');
    workers.push(await startWorker('all', ok), await startWorker('all', missing, { ENGINE_PYTHON: '/usr/bin/python3' }));
  }, 300_000);
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await closeTestClient();
  });

  const dub = async (queues: Queues, lipsync: JobOptionsInput['lipsync'], on: { video: string; subs: string; translatedSubs: string }, src = 'ja', tgt = 'en') => startJob(jobInput(on.video, queues, await tempDir('flap'), {
    // The worker without the engines' Python (system python3) cannot run the embedded diarizer either: one narrator there.
    src, tgt, subs: on.subs, translatedSubs: on.translatedSubs, tts: { engine: 'espeak-ng', ...(queues === missing ? { diarize: 'off' as const } : {}) }, mix: { separation: 'off' }, lipsync,
  }), queues);

  it('animeface with the pinned Pillow still finds the face in a known sprite (Pillow 12 would find none)', async () => {
    const code = 'import sys, animeface, PIL; from PIL import Image\nf = animeface.detect(Image.open(sys.argv[1]).convert("RGB"))\nprint(PIL.__version__, len(f), f[0].mouth.pos.y if f else -1)';
    const { stdout } = await execa(DEFAULT_ENGINE_PYTHON, ['-c', code, path.join(SPRITES_DIR, 'sylvie green normal.png')]);
    const [version, faces, mouthY] = stdout.trim().split(' ');
    expect(Number(version.split('.')[0])).toBeLessThan(12);
    expect(Number(faces)).toBe(1);
    expect(Number(mouthY)).toBeGreaterThan(120); // the mouth, below the eyes (sprite y ≈ 139)
  }, 60_000);

  it('re-times the speaking face’s mouth to the dub: right speaker per line, open in dub speech, shut in its silence, the rest unchanged', async () => {
    const result: DubJobResult = await (await dub(ok, { engine: 'animeflap' }, clip)).result();
    expect(result.lipsync).toMatchObject({ status: 'done', plugin: 'animeflap', output: 'anime.en.lipsync.mp4', details: 'lipsync/report.json', still: 'lipsync/still.png' });
    const truth = JSON.parse(await readFile(clip.truth, 'utf8')) as Truth;
    const report = JSON.parse(await readFile(path.join(result.outputDir, 'lipsync', 'report.json'), 'utf8')) as FlapReport;

    // Shots from the cut; both faces found in ≥ 90 % of the frames looked at, and followed through ≥ 90 % of the shot.
    expect(report.shots.map((s) => Math.round(s.start * truth.fps))).toEqual(truth.shots);
    for (const shot of report.shots) {
      expect(shot.faces).toHaveLength(2);
      for (const face of shot.faces) {
        expect(face.framesDetected / shot.detections).toBeGreaterThanOrEqual(0.9);
        expect(face.framesFollowed / shot.frames).toBeGreaterThanOrEqual(0.9);
      }
    }
    // The speaker of each line in each shot is the face whose mouth the clip drew moving (who: 0 blue, 1 green).
    const who = (JSON.parse(await readFile(clip.lines, 'utf8')) as Array<{ who: number }>).map((l) => OUTFITS[l.who]);
    let decided = 0;
    report.shots.forEach((shot, s) => {
      for (const line of shot.lines) {
        const speaker = shot.faces.find((f) => f.id === line.speaker);
        expect(speaker).toBeDefined();
        const [mx, , mw] = truth.faces[truth.shots[s]][who[line.index]].mouth;
        const [fx, , fw] = speaker!.box;
        expect(Math.abs(fx + fw / 2 - (mx + mw / 2))).toBeLessThan(fw / 2);
        decided++;
      }
      expect(shot.linesRetimed.length).toBeGreaterThan(0);
      expect(shot.framesChanged).toBeGreaterThan(0);
    });
    expect(decided).toBe(4); // line 1 spans the cut: decided in each shot

    // The outcome lists per shot what was done; the still is a changed frame beside its original.
    expect(result.lipsync.shots).toEqual(report.shots.map((s) => ({ start: s.start, end: s.end, faces: 2, linesRetimed: s.linesRetimed, framesChanged: s.framesChanged })));
    const still = await execa('ffprobe', ['-v', 'error', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', path.join(result.outputDir, 'lipsync', 'still.png')]);
    expect(still.stdout.trim()).toBe('1280,360');
    const jobReport = JSON.parse(await readFile(path.join(result.outputDir, 'report.json'), 'utf8'));
    expect(jobReport.lipsync).toMatchObject({ status: 'done', still: 'lipsync/still.png', shots: result.lipsync.shots });
    const html = await readFile(path.join(result.outputDir, 'report.html'), 'utf8');
    expect(html).toMatch(/<h2>Lip-sync \(animeflap\)<\/h2>/);
    expect(html).toMatch(/<img alt="a frame before and after lip-sync" src="data:image\/png;base64,/);

    const { stdout } = await execa(DEFAULT_ENGINE_PYTHON, [path.join(PROJECT_ROOT, 'scripts', 'measure_mouths.py'),
      '--truth', clip.truth, '--source', clip.video, '--result', path.join(result.outputDir, result.outputs.lipsync!),
      '--reference', path.join(result.outputDir, result.outputs.mp4), '--voice', path.join(result.outputDir, 'audio', 'dub.48k.wav'), '--lines', clip.lines]);
    const measured = JSON.parse(stdout) as Measured;
    for (const outfit of OUTFITS) {
      const c = measured.characters[outfit];
      expect(c.speechFrames).toBeGreaterThan(5);
      expect(c.openInSpeech).toBeGreaterThanOrEqual(0.8);
      expect(c.closedInSilence).toBeGreaterThanOrEqual(0.8);
      expect(c.agreesWithSource).toBeLessThan(0.95); // it follows the dub now, not the Japanese flaps
    }
    expect(measured.psnrOutsideMouths).toBeGreaterThanOrEqual(45);
  }, 600_000);

  it('--lipsync-face bbox searches only the box: only the faces inside it are found and re-timed', async () => {
    // The right half: Misaki (green) in the first shot, Kenta (blue) after the cut.
    const result: DubJobResult = await (await dub(ok, { engine: 'animeflap', face: 'bbox', box: [320, 0, 640, 360] }, clip)).result();
    expect(result.lipsync.status).toBe('done');
    const report = JSON.parse(await readFile(path.join(result.outputDir, 'lipsync', 'report.json'), 'utf8')) as FlapReport;
    expect(report.shots.map((s) => s.faces.length)).toEqual([1, 1]);
    for (const face of report.shots.flatMap((s) => s.faces)) expect(face.box[0]).toBeGreaterThanOrEqual(320);
    expect(report.shots[0].linesRetimed).toContain(0);
    expect(report.shots[1].linesRetimed).toContain(1);
  }, 600_000);

  it('without animeface the stage is skipped and says why; strict mode fails the job, typed and non-retryable', async () => {
    const tone = await toneClip();
    const soft: DubJobResult = await (await dub(missing, { engine: 'animeflap' }, tone, 'en', 'es')).result();
    expect(soft.lipsync).toMatchObject({ status: 'skipped', plugin: 'animeflap', reason: expect.stringMatching(/animeface is not installed for \/usr\/bin\/python3/) });
    expect(existsSync(path.join(soft.outputDir, soft.outputs.mkv))).toBe(true);
    const err = await (await dub(missing, { engine: 'animeflap', strict: true }, tone, 'en', 'es')).result().then(() => undefined, (e) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause.type).toBe('PluginMissing');
    expect(cause.nonRetryable).toBe(true);
    expect(cause.message).toMatch(/lip-sync \(animeflap\) unavailable: animeface is not installed/);
  }, 300_000);
});

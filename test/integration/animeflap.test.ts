// The anime mouth-flap lip-sync plugin, for real: animeface (PyPI) on sprites from Debian's renpy-thequestion,
// animated to a Japanese voice and dubbed to English with other timing, through a real dev server and worker.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
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
    linesRetimed: number[]; framesChanged: number; framesReencoded: number;
  }>;
  render: { mode: string; reason?: string; segments?: Array<{ start: number; end: number; reencoded: boolean }>; framesReencoded: number; framesCopied: number };
  seconds: { total: number };
}
interface Truth { fps: number; shots: number[]; faces: Array<Record<'blue' | 'green', { mouth: number[]; open: boolean }>> }
interface Character { speechFrames: number; openInSpeech: number; silentFrames: number; closedInSilence: number; agreesWithSource: number }
interface Measured { characters: Record<'blue' | 'green', Character>; psnrOutsideMouths: number }

const OUTFITS = ['blue', 'green'] as const;

/** Each decoded picture's MD5, in display order (ffmpeg's framemd5 muxer). */
async function frameHashes(video: string): Promise<string[]> {
  const { stdout } = await execa('ffmpeg', ['-nostdin', '-v', 'error', '-i', video, '-map', '0:v:0', '-f', 'framemd5', '-']);
  return stdout.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(',').at(-1)!.trim());
}

async function videoDuration(video: string): Promise<string> {
  const { stdout } = await execa('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=duration', '-of', 'csv=p=0', video]);
  return stdout.trim();
}

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
    expect(result.lipsync).toMatchObject({ status: 'done', plugin: 'animeflap', output: 'anime.en.lipsync.mp4', details: 'anime.en.lipsync.json', still: 'anime.en.lipsync.png' });
    // Hashed with the video (the client downloads exactly the hashed files from an s3 store, and checks them).
    for (const rel of [result.lipsync.output!, result.lipsync.details!, result.lipsync.still!]) {
      expect(result.hashes?.[rel]).toEqual({ sha256: createHash('sha256').update(await readFile(path.join(result.outputDir, rel))).digest('hex'), bytes: expect.any(Number) });
    }
    const truth = JSON.parse(await readFile(clip.truth, 'utf8')) as Truth;
    const report = JSON.parse(await readFile(path.join(result.outputDir, result.lipsync.details!), 'utf8')) as FlapReport;

    // Shots from the cuts; both faces found in ≥ 90 % of the frames looked at, and followed through ≥ 90 % of the shot.
    expect(report.shots.map((s) => Math.round(s.start * truth.fps))).toEqual(truth.shots);
    const [spoken, silent] = [report.shots.slice(0, 2), report.shots[2]];
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
    spoken.forEach((shot, s) => {
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
    // Nobody speaks in the third shot: nothing re-timed, nothing changed, nothing re-encoded.
    expect(silent).toMatchObject({ lines: [], linesRetimed: [], framesChanged: 0, framesReencoded: 0 });

    // The outcome lists per shot what was done; the still is a changed frame beside its original.
    expect(result.lipsync.shots).toEqual(report.shots.map((s) => ({ start: s.start, end: s.end, faces: 2, linesRetimed: s.linesRetimed, framesChanged: s.framesChanged })));

    // Only the GOPs with a changed frame went through the encoder; the rest is the source's own picture, frame for frame.
    const lipsynced = path.join(result.outputDir, result.outputs.lipsync!);
    expect(report.render).toMatchObject({ mode: 'segments', framesCopied: expect.any(Number) });
    const segments = report.render.segments!;
    expect(segments[0].start).toBe(0);
    expect(segments.at(-1)!.end).toBe(report.frames);
    expect(segments.filter((s) => !s.reencoded).map((s) => s.end)).toContain(report.frames); // the silent shot is copied
    const [before, after] = await Promise.all([frameHashes(clip.video), frameHashes(lipsynced)]);
    expect(after).toHaveLength(before.length);
    for (const seg of segments) {
      const same = before.slice(seg.start, seg.end).filter((h, i) => h === after[seg.start + i]).length;
      // Copied: every frame bit-identical to the input's; re-encoded: its changed mouths (and x264's loss) differ.
      if (seg.reencoded) expect(same).toBeLessThan(seg.end - seg.start);
      else expect(same).toBe(seg.end - seg.start);
    }
    expect(await videoDuration(lipsynced)).toBe(await videoDuration(clip.video));
    const still = await execa('ffprobe', ['-v', 'error', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', path.join(result.outputDir, result.lipsync.still!)]);
    expect(still.stdout.trim()).toBe('1280,360');
    const jobReport = JSON.parse(await readFile(path.join(result.outputDir, 'report.json'), 'utf8'));
    expect(jobReport.lipsync).toMatchObject({ status: 'done', still: 'anime.en.lipsync.png', shots: result.lipsync.shots });
    const html = await readFile(path.join(result.outputDir, 'report.html'), 'utf8');
    expect(html).toMatch(/<h2>Lip-sync \(animeflap\)<\/h2>/);
    expect(html).toMatch(/<img alt="a frame before and after lip-sync" src="data:image\/png;base64,/);

    const { stdout } = await execa(DEFAULT_ENGINE_PYTHON, [path.join(PROJECT_ROOT, 'scripts', 'measure_mouths.py'),
      '--truth', clip.truth, '--source', clip.video, '--result', lipsynced,
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
    const report = JSON.parse(await readFile(path.join(result.outputDir, result.lipsync.details!), 'utf8')) as FlapReport;
    expect(report.shots.map((s) => s.faces.length)).toEqual([1, 1, 1]);
    for (const face of report.shots.flatMap((s) => s.faces)) expect(face.box[0]).toBeGreaterThanOrEqual(320);
    expect(report.shots[0].linesRetimed).toContain(0);
    expect(report.shots[1].linesRetimed).toContain(1);
  }, 600_000);

  it('--fit-video auto with animeflap is refused before anything runs (the slowed picture would move the mouths), typed and final', async () => {
    const input = jobInput(clip.video, ok, await tempDir('flap-fit'), { subs: clip.subs, translatedSubs: clip.translatedSubs, src: 'ja', tgt: 'en', lipsync: { engine: 'animeflap' }, fitVideo: { mode: 'auto' } });
    const err = await (await startJob(input, ok)).result().then(() => undefined, (e) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause.type).toBe('InvalidConfig');
    expect(cause.nonRetryable).toBe(true);
    expect(cause.message).toMatch(/--fit-video auto is not supported with --lipsync animeflap/);
  }, 60_000);

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

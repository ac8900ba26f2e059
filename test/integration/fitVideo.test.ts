// --fit-video auto end to end (real dev server and worker, espeak-ng, identity translation from an imported SRT
// whose cues are too dense for their lines): the picture of the dense spans is slowed instead of the voice.
import { describe, expect, it } from '@jest/globals';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { DubJobResult } from '../../lib/job.js';
import { parseSubtitles } from '../../formats/subtitles.js';
import { toOutput, type TimeMap } from '../../lib/timeMap.js';
import { run } from '../../engines/run.js';
import { patternClip, writeSrt } from '../fixtures/media.js';
import { jobInput, startJob, tempDir } from '../support/jobs.js';
import { withWorker } from '../support/workers.js';

/** 20 s of moving test pattern (a keyframe every second, B-frames) under a steady tone. */
const clip = () => patternClip({ rate: '25', durationSec: 20, gop: 25, bframes: 2 });

/** Three relaxed cues and three too dense for what is said in them. */
const CUES = [
  { start: 1, end: 3, text: 'Good morning.' },
  { start: 4, end: 5.4, text: 'We have to leave before the storm arrives tonight.' },
  { start: 5.6, end: 7.2, text: 'Pack the radio, the maps and the spare batteries too.' },
  { start: 9, end: 11, text: 'Thank you.' },
  { start: 13, end: 14.4, text: 'The bridge on the northern road is already closed.' },
  { start: 15, end: 17, text: 'Yes.' },
];

/** Duration of each stream of a file, from its packets (what a player shows). */
async function streamDurations(file: string): Promise<{ video: number; audio: number[] }> {
  const { stdout } = await run(['ffprobe', '-v', 'error', '-show_entries', 'stream=codec_type,duration', '-of', 'json', file]);
  const streams = (JSON.parse(stdout) as { streams: { codec_type: string; duration?: string }[] }).streams;
  return {
    video: Number(streams.find((s) => s.codec_type === 'video')?.duration),
    audio: streams.filter((s) => s.codec_type === 'audio').map((s) => Number(s.duration)),
  };
}

/** The MD5 of one decoded frame of `file` at `t`: a fingerprint of the picture. */
async function frameAt(file: string, t: number): Promise<string> {
  const r = await run(['ffmpeg', '-nostdin', '-v', 'error', '-ss', t.toFixed(6), '-i', file, '-map', '0:v:0', '-frames:v', '1', '-f', 'md5', '-']);
  return r.stdout.trim();
}

interface ReportLine { index: number; speedFactor?: number; problems: string[] }

describe('--fit-video auto (real dev server and worker, espeak-ng, imported subtitles)', () => {
  const queues = withWorker('fitvideo', { prepare: clip });

  it('slows the picture of the dense spans instead of the voice: every line at most 1.10×, audio and picture in step, subtitles moved', async () => {
    const video = await clip();
    const dir = await tempDir('fitvideo');
    const subs = await writeSrt(path.join(dir, 'in', 'lines.srt'), CUES);
    const input = jobInput(video, queues, path.join(dir, 'out'), {
      subs, translate: false, tts: { engine: 'espeak-ng' }, fit: { condense: false }, mix: { separation: 'off' },
      fitVideo: { mode: 'auto', maxStretch: 1.6 },
    });
    const result: DubJobResult = await (await startJob(input, queues)).result();
    const report = JSON.parse(await readFile(path.join(result.outputDir, 'report.json'), 'utf8'));
    const map = JSON.parse(await readFile(path.join(result.outputDir, 'timemap.json'), 'utf8')) as TimeMap & { placed: { factor: number; addedSec: number }[] };

    // every line spoken at most 1.10× (engine rate × fit), none cut
    const lines = report.lines as ReportLine[];
    expect(lines).toHaveLength(CUES.length);
    for (const l of lines) expect(l.speedFactor).toBeLessThanOrEqual(1.1 + 1e-6);
    expect(lines.flatMap((l) => l.problems).filter((p) => /^trimmed|^fast/.test(p))).toEqual([]);

    // spans were needed, and the report lists each with its factor and the new duration
    expect(map.spans.length).toBeGreaterThanOrEqual(2);
    expect(report.fitVideo.spans).toHaveLength(map.spans.length);
    for (const s of report.fitVideo.spans) expect(s.factor).toBeGreaterThan(1);
    const added = map.spans.reduce((a, s) => a + (s.srcEnd - s.srcStart) * (s.factor - 1), 0);
    expect(report.fitVideo.durationSec).toBeCloseTo(map.sourceDurationSec + added, 3);
    expect(report.durationSec).toBeCloseTo(report.fitVideo.durationSec, 6);
    const html = await readFile(path.join(result.outputDir, 'report.html'), 'utf8');
    expect(html).toContain('Slowed picture (--fit-video auto)');

    // the outputs are longer by the spans' gain, at most 8 % longer; picture and both sound tracks in step
    for (const out of [result.outputs.mp4, result.outputs.mkv]) {
      const d = await streamDurations(path.join(result.outputDir, out));
      const want = map.sourceDurationSec + added;
      if (Number.isFinite(d.video)) expect(Math.abs(d.video - want)).toBeLessThan(0.04);
      for (const a of d.audio.filter(Number.isFinite)) expect(Math.abs(a - want)).toBeLessThan(0.04);
    }
    const fmt = await run(['ffprobe', '-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', path.join(result.outputDir, result.outputs.mkv)]);
    const outSec = Number(fmt.stdout.trim());
    expect(outSec - map.sourceDurationSec).toBeCloseTo(added, 1);
    expect(outSec / map.sourceDurationSec).toBeLessThanOrEqual(1.08);

    // the picture between and after the spans (copied, not re-encoded) is the source's frame where the map puts it
    for (const t of [8.2, 17.4]) {
      expect(await frameAt(path.join(result.outputDir, result.outputs.mp4), toOutput(map, t))).toBe(await frameAt(video, t));
    }

    // subtitles after a span are moved by the map
    const srt = parseSubtitles(await readFile(path.join(result.outputDir, result.outputs.sourceSrt), 'utf8'));
    const last = srt[srt.length - 1];
    expect(last.start).toBeCloseTo(toOutput(map, CUES[CUES.length - 1].start), 2);
    expect(last.start).toBeGreaterThan(CUES[CUES.length - 1].start + 0.05);
  }, 300_000);

  it.each([
    [{ lipsync: { engine: 'wav2lip' as const } }, /--fit-video auto is not supported with --lipsync wav2lip/],
    [{ stream: { enabled: true } }, /--fit-video auto is not supported with --stream/],
  ])('refuses %j up front with a typed, final error', async (extra, message) => {
    const video = await clip();
    const dir = await tempDir('fitvideo-refused');
    const err = await (await startJob(jobInput(video, queues, path.join(dir, 'out'), { fitVideo: { mode: 'auto' }, ...extra }), queues)).result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect(cause.type).toBe('InvalidConfig');
    expect(cause.nonRetryable).toBe(true);
    expect(cause.message).toMatch(message);
  }, 60_000);
});

// End to end on generated media, with the real engines (festival, pocketsphinx, apertium, espeak-ng, ffmpeg)
// against a real Temporal dev server and a real worker process.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { DubJobResult } from '../../lib/job.js';
import { parseSubtitles } from '../../formats/subtitles.js';
import type { SpeechClip } from '../../scripts/speechClip.js';
import { dialogueClip } from '../fixtures/media.js';
import { closeTestClient, defaultJobInput, startJob, tempDir } from '../support/jobs.js';
import { decodes, probe, soundRegions, wordErrorRate } from '../support/media.js';
import { queuesFor, startWorker, type WorkerProcess } from '../support/workers.js';

describe('dubbing a 30 s English dialogue into Spanish (real engines, real dev server)', () => {
  const queues = queuesFor('e2e');
  let worker: WorkerProcess;
  let clip: SpeechClip;
  let result: DubJobResult;
  let out: string;

  beforeAll(async () => {
    clip = await dialogueClip();
    worker = await startWorker('all', queues);
    out = await tempDir('e2e');
    const handle = await startJob(defaultJobInput(clip.video, queues, out), queues);
    result = await handle.result();
  }, 300_000);

  afterAll(async () => {
    await worker?.stop();
    await closeTestClient();
  });

  const file = (name: keyof DubJobResult['outputs']) => path.join(result.outputDir, result.outputs[name]!);

  it('writes an MP4 and an MKV that decode, each as long as the input (±50 ms)', async () => {
    const input = await probe(clip.video);
    for (const f of [file('mp4'), file('mkv')]) {
      expect(await decodes(f)).toBe(true);
      expect(Math.abs((await probe(f)).durationSec - input.durationSec)).toBeLessThanOrEqual(0.05);
    }
  });

  it('puts the dub first and the original second, with source and target subtitles, all language-tagged', async () => {
    const { streams } = await probe(file('mkv'));
    const audio = streams.filter((s) => s.codec_type === 'audio');
    const subs = streams.filter((s) => s.codec_type === 'subtitle');
    expect(audio.map((s) => s.tags?.language)).toEqual(['spa', 'eng']);
    expect(subs.map((s) => s.tags?.language)).toEqual(['eng', 'spa']);
    expect(audio[0].disposition?.default).toBe(1);
    expect(audio[1].disposition?.default).toBe(0);
    expect(streams.find((s) => s.codec_type === 'video')?.codec_name).toBe('h264');
  });

  it('starts every dubbed line within 100 ms of its source line and ends it before the next one starts', async () => {
    const heard = await soundRegions(file('mkv'), 0);
    expect(heard.length).toBe(clip.script.length);
    clip.script.forEach((line, i) => {
      const region = heard[i];
      expect(Math.abs(region.start - line.start)).toBeLessThanOrEqual(0.1);
      const next = clip.script[i + 1]?.start ?? clip.durationSec;
      expect(region.end).toBeLessThan(next);
    });
  });

  it('dubs with new speech, not the original under a new label', async () => {
    const report = JSON.parse(await readFile(file('report'), 'utf8'));
    expect(report.lines).toHaveLength(clip.script.length);
    for (const row of report.lines) {
      expect(row.target.length).toBeGreaterThan(0);
      expect(row.target).not.toEqual(row.source.text);
      expect(row.dubDurationSec).toBeGreaterThan(0.3);
      expect(row.slot.start + row.dubDurationSec).toBeLessThanOrEqual(row.slot.end + 0.001);
      expect(row.speed).toBeGreaterThanOrEqual(0.9); // fit.minSpeed: a short line may be slowed to fill its source line
      expect(row.speed).toBeLessThanOrEqual(1.25);
    }
    const srt = await readFile(file('targetSrt'), 'utf8');
    expect(srt).toMatch(/Buenos días/);
  });

  it('exports the source and target subtitles as WebVTT too, the same cues as the SRT files', async () => {
    for (const [vtt, srt] of [['sourceVtt', 'sourceSrt'], ['targetVtt', 'targetSrt']] as const) {
      const text = await readFile(file(vtt), 'utf8');
      expect(text.startsWith('WEBVTT')).toBe(true);
      const cues = (t: string) => parseSubtitles(t).map((l) => [l.start, l.end, l.text]);
      expect(cues(text)).toEqual(cues(await readFile(file(srt), 'utf8')));
      expect(cues(text)).toHaveLength(clip.script.length);
    }
  });

  it('recognizes the source with a word error rate of at most 25%', async () => {
    const transcript = JSON.parse(await readFile(path.join(result.outputDir, 'transcript.json'), 'utf8'));
    const hyp = transcript.lines.map((l: { text: string }) => l.text).join(' ');
    const ref = clip.script.map((l) => l.text).join(' ');
    const wer = wordErrorRate(ref, hyp);
    console.log(`WER ${(wer * 100).toFixed(1)}%: ${hyp}`);
    expect(wer).toBeLessThanOrEqual(0.25);
  });
});

// Dub quality, measured on the files the job wrote (not read back from report.json): each dubbed line about as
// long as its source line, no line sped up past 1.25x, no drift by the end, and the dub track at -16 LUFS with
// its true peak under -1 dBTP. Real engines (pocketsphinx, apertium, espeak-ng, ffmpeg), real dev server.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { run } from '../../engines/run.js';
import { ebur128Argv, parseEbur128, type LoudnessSummary } from '../../engines/ebur128.js';
import type { DubJobResult } from '../../lib/job.js';
import type { Region } from '../../lib/speechRegions.js';
import type { SpeechClip } from '../../scripts/speechClip.js';
import { dialogueClip } from '../fixtures/media.js';
import { closeTestClient, jobInput, startJob, tempDir } from '../support/jobs.js';
import { probe, soundRegions } from '../support/media.js';
import { queuesFor, startWorker, type WorkerProcess } from '../support/workers.js';

const TOLERANCE = 0.1;

interface ReportRow { index: number; source: { start: number; end: number }; speed: number; speedFactor: number; ttsDurationSec: number; dubDurationSec: number }

describe('dub quality on the 30 s dialogue (real engines, measured on the output files)', () => {
  const queues = queuesFor('quality');
  let worker: WorkerProcess;
  let clip: SpeechClip;
  let result: DubJobResult;
  /** Speech heard on the dub-only track (audio/dub.48k.wav: every fitted clip at its place, nothing else). */
  let dubHeard: Region[];
  /** Speech heard on the original track of the MKV (the second audio stream). */
  let sourceHeard: Region[];
  let loudness: LoudnessSummary;

  beforeAll(async () => {
    clip = await dialogueClip();
    worker = await startWorker('all', queues);
    // One espeak-ng voice, as these bounds were set for (with Kokoro, es's default since the cast work, one line came
    // out at 1.274x: its speed knob is not exactly linear, a follow-up for the fit).
    const handle = await startJob(jobInput(clip.video, queues, await tempDir('quality'), { tts: { engine: 'espeak-ng', diarize: 'off' } }), queues);
    result = await handle.result();
    const mkv = path.join(result.outputDir, result.outputs.mkv);
    dubHeard = await soundRegions(path.join(result.outputDir, 'audio', 'dub.48k.wav'), 0, -40, 0.35);
    sourceHeard = await soundRegions(mkv, 1, -40, 0.35);
    loudness = parseEbur128((await run(ebur128Argv(mkv, 0))).stderr);
    console.log([
      `dub regions:    ${dubHeard.map((r) => `${r.start.toFixed(2)}-${r.end.toFixed(2)}`).join(' ')}`,
      `source regions: ${sourceHeard.map((r) => `${r.start.toFixed(2)}-${r.end.toFixed(2)}`).join(' ')}`,
      `script:         ${clip.script.map((l) => `${l.start.toFixed(2)}-${l.end.toFixed(2)}`).join(' ')}`,
      `loudness ${loudness.integratedLufs} LUFS, true peak ${loudness.truePeakDb} dBTP`,
    ].join('\n'));
  }, 300_000);

  afterAll(async () => {
    await worker?.stop();
    await closeTestClient();
  });

  it('hears one dubbed line per source line', () => {
    expect(sourceHeard).toHaveLength(clip.script.length);
    expect(dubHeard).toHaveLength(clip.script.length);
  });

  // Line ends come from Silero VAD; before its ends were tightened to the voice (engines/host/voice_activity.py) they
  // were ~0.1 s late and one line of six came out 17 % longer than its source.
  it('keeps at least 90% of the lines within ±10% of their source line\'s length', () => {
    const errors = clip.script.map((line, i) => (dubHeard[i].end - dubHeard[i].start) / (sourceHeard[i].end - sourceHeard[i].start) - 1);
    const within = errors.filter((e) => Math.abs(e) <= TOLERANCE).length / errors.length;
    console.log(`length errors: ${errors.map((e) => `${(e * 100).toFixed(0)}%`).join(' ')}; within ±10%: ${(within * 100).toFixed(0)}%`);
    expect(within).toBeGreaterThanOrEqual(0.9);
  });

  it('speeds no line up past 1.25x (the fit\'s figures checked against the clips themselves)', async () => {
    const report = JSON.parse(await readFile(path.join(result.outputDir, 'report.json'), 'utf8')) as { lines: ReportRow[] };
    const clips = (await readdir(path.join(result.outputDir, 'tts'))).filter((f) => /^\d{4}\.wav$/.test(f)).sort();
    expect(clips).toHaveLength(report.lines.length);
    const factors: number[] = [];
    for (const [i, row] of report.lines.entries()) {
      // the synthesized clip is as long as the fit says, and so is what is heard of it on the dub track
      const synthesized = (await probe(path.join(result.outputDir, 'tts', clips[i]))).durationSec;
      const heard = dubHeard[i].end - dubHeard[i].start;
      expect(Math.abs(heard - row.dubDurationSec)).toBeLessThanOrEqual(0.06);
      // stretch measured = synthesized length / heard length; the engine's own rate change (espeak-ng -s) on top
      const engineRate = row.speedFactor / row.speed;
      const measured = (synthesized / heard) * engineRate;
      expect(Math.abs(measured - row.speedFactor)).toBeLessThanOrEqual(0.06);
      factors.push(Math.max(measured, row.speedFactor));
    }
    console.log(`speed factors: ${factors.map((f) => f.toFixed(2)).join(' ')}`);
    expect(Math.max(...factors)).toBeLessThanOrEqual(1.25 + 0.02);
  });

  it('does not drift: the last line starts within 40 ms of its source line, the dub track is as long as the video', async () => {
    const last = clip.script.length - 1;
    const drift = dubHeard[last].start - sourceHeard[last].start;
    console.log(`drift at the end: ${(drift * 1000).toFixed(0)} ms`);
    expect(Math.abs(drift)).toBeLessThanOrEqual(0.04);
    const mkv = await probe(path.join(result.outputDir, result.outputs.mkv));
    const input = await probe(clip.video);
    expect(Math.abs(mkv.durationSec - input.durationSec)).toBeLessThanOrEqual(0.04);
  });

  it('writes a self-contained report.html with the timeline picture', async () => {
    const html = await readFile(path.join(result.outputDir, 'report.html'), 'utf8');
    expect(html).toMatch(/<img [^>]*src="data:image\/png;base64,iVBORw0KGgo/);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    const png = await readFile(path.join(result.outputDir, 'report.timeline.png'));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
  });

  it('puts the dub track at -16 LUFS (±1 LU) with its true peak at or under -1 dBTP', () => {
    expect(Math.abs(loudness.integratedLufs - -16)).toBeLessThanOrEqual(1);
    expect(loudness.truePeakDb).toBeLessThanOrEqual(-1);
  });
});

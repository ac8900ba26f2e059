// Expressive prosody, measured: a clip whose lines differ on purpose in loudness, pitch and speed (espeak-ng
// -a/-p/-s) is dubbed with expressive on and off; the dub's per-line energy and pitch must follow the source's.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { measureClipFeatures, measureLineFeatures } from '../../engines/prosodyFeatures.js';
import type { JobOptionsInput } from '../../config/schema.js';
import type { DubJobResult } from '../../lib/job.js';
import { spearman } from '../../lib/prosody.js';
import type { SpeechClip } from '../../scripts/speechClip.js';
import { expressiveClip, writeSrt } from '../fixtures/media.js';
import { closeTestClient, jobInput, startJob, tempDir } from '../support/jobs.js';
import { soundRegions } from '../support/media.js';
import { queuesFor, startWorker, type WorkerProcess } from '../support/workers.js';

describe('expressive prosody carry-over (real engines, real dev server)', () => {
  const queues = queuesFor('expr');
  let worker: WorkerProcess;
  let clip: SpeechClip;
  let subs: string;
  beforeAll(async () => {
    clip = await expressiveClip();
    subs = await writeSrt(path.join(await tempDir('expr-subs'), 'lines.srt'), clip.script);
    worker = await startWorker('all', queues);
  }, 180_000);
  afterAll(async () => {
    await worker?.stop();
    await closeTestClient();
  });

  async function dub(expressive: JobOptionsInput['expressive']): Promise<DubJobResult> {
    const handle = await startJob(jobInput(clip.video, queues, await tempDir('expr'), { subs, expressive, tts: { engine: 'espeak-ng' } }), queues);
    return handle.result();
  }

  async function correlations(result: DubJobResult) {
    const source = await measureLineFeatures(path.join(result.outputDir, 'audio', 'analysis.16k.wav'), clip.script, clip.durationSec, 'en');
    const dubbed = await Promise.all(clip.script.map((_, i) => measureClipFeatures(path.join(result.outputDir, 'tts', `${String(i).padStart(4, '0')}.wav`))));
    return {
      energy: spearman(source.map((f) => f.rmsDb), dubbed.map((f) => f.rmsDb)),
      pitch: spearman(source.map((f) => f.f0MedianHz ?? 0), dubbed.map((f) => f.f0MedianHz ?? 0)),
    };
  }

  it('with expressive on, per-line energy and pitch follow the source (Spearman ≥ 0.8); off, clearly less; timing still holds', async () => {
    const on = await dub({ mode: 'source-audio', strength: 1, debug: true });
    const off = await dub({ mode: 'off' });
    const rOn = await correlations(on);
    const rOff = await correlations(off);
    console.log(`Spearman energy: on ${rOn.energy.toFixed(3)}, off ${rOff.energy.toFixed(3)}; pitch: on ${rOn.pitch.toFixed(3)}, off ${rOff.pitch.toFixed(3)}`);
    expect(rOn.energy).toBeGreaterThanOrEqual(0.8);
    expect(rOn.pitch).toBeGreaterThanOrEqual(0.8);
    expect(rOff.energy).toBeLessThan(rOn.energy - 0.2);
    expect(rOff.pitch).toBeLessThan(rOn.pitch - 0.2);

    // the debug plans say what was measured, decided and applied
    const plan = JSON.parse(await readFile(path.join(on.outputDir, 'expressive', 'plans', '0001.json'), 'utf8'));
    expect(plan).toMatchObject({ mode: 'source-audio', category: expect.any(String), multipliers: { rate: expect.any(Number), pitch: expect.any(Number), energy: expect.any(Number) } });
    expect(plan.features.rmsDb).toEqual(expect.any(Number));
    expect(plan.applied.rate).toMatch(/espeak-ng -s \d+/);
    expect(plan.applied.energy).toMatch(/ffmpeg volume/);
    expect(existsSync(path.join(off.outputDir, 'expressive'))).toBe(false);

    // pacing-safe: every dubbed line still starts with its source line and ends before the next one
    const heard = await soundRegions(path.join(on.outputDir, 'audio', 'dub.48k.wav'), 0, -45, 0.3);
    clip.script.forEach((line, i) => {
      const region = heard.find((r) => Math.abs(r.start - line.start) <= 0.1);
      expect({ line: i, found: !!region }).toEqual({ line: i, found: true });
      expect(region!.end).toBeLessThan(clip.script[i + 1]?.start ?? clip.durationSec);
    });
  }, 300_000);

  it('off is byte-for-byte the plain dub', async () => {
    const off = await dub({ mode: 'off', strength: 1 });
    const plain = await dub(undefined);
    for (const f of ['audio/dub.48k.wav', 'audio/mix.48k.wav']) {
      expect((await readFile(path.join(off.outputDir, f))).equals(await readFile(path.join(plain.outputDir, f)))).toBe(true);
    }
  }, 300_000);

  it('the older --emotion-mode tags reads and strips a leading tag, through the same categorizer', async () => {
    const tagged = await writeSrt(path.join(await tempDir('expr-tags'), 'tags.srt'), clip.script.map((l, i) => ({ ...l, text: i === 1 ? `[angry] ${l.text}` : i === 3 ? `[sad] ${l.text}` : l.text })));
    const handle = await startJob(jobInput(clip.video, queues, await tempDir('expr'), { subs: tagged, translate: false, expressive: { emotionMode: 'tags', debug: true } }), queues);
    const result: DubJobResult = await handle.result();
    const plan = (i: number) => readFile(path.join(result.outputDir, 'expressive', 'plans', `${String(i).padStart(4, '0')}.json`), 'utf8').then(JSON.parse);
    expect(await plan(1)).toMatchObject({ mode: 'tags', category: 'angry', text: { spoken: clip.script[1].text } });
    expect(await plan(3)).toMatchObject({ mode: 'tags', category: 'sad' });
    expect(await plan(0)).toMatchObject({ mode: 'tags', category: 'neutral' });
    expect((await plan(1)).multipliers.energy).toBeGreaterThan((await plan(3)).multipliers.energy);
  }, 300_000);
});

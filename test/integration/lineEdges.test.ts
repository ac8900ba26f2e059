// Line edges from the voice, against the festival scene's true line table (issue 25: four Kokoro characters over a
// music bed with effects). Real engines in a warm engine host: faster-whisper base (begun at the first voice as the
// jobs begin it, its answer cached under test/.cache/edges, keyed by the audio), Silero VAD and the embedded diarizer; the lines are the recognition
// stage's own (lib/voicedLines.ts), measured as scripts/measureEdges.ts measures them.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { closeEngineHosts } from '../../engines/engineHost.js';
import { VAD_SETTINGS, voiceActivity, voiceTurns, type VadSettings } from '../../engines/voiceActivity.js';
import type { AsrResult } from '../../engines/whisper.js';
import type { Region } from '../../lib/speechRegions.js';
import { voicedLines } from '../../lib/voicedLines.js';
import { cachedWhisper, measure, overlap, toWav, type EdgeSummary } from '../../scripts/measureEdges.js';
import { loadScene, type Scene } from '../fixtures/scenes.js';
import { TEST_CACHE } from '../support/env.js';
import { tempDir } from '../support/jobs.js';

describe('line edges from the voice on the festival scene with its music bed (real faster-whisper base, Silero VAD, embedded diarizer)', () => {
  let scene: Scene;
  let wav: string;
  let asr: AsrResult;
  let truth: Region[];
  const lines = async (settings: VadSettings = VAD_SETTINGS, speakerCuts = true): Promise<EdgeSummary> => {
    const speech = await voiceActivity(wav, settings);
    const turns = speakerCuts ? (await voiceTurns(wav)).turns : [];
    const { lines: out } = voicedLines(asr.segments, speech, turns, { noSpeechThreshold: 0.6, minSilenceSec: 0.45, durationSec: scene.durationSec });
    const s = measure(scene.name, speakerCuts ? 'default' : 'no speaker cuts', out, truth, speech);
    console.log(`${s.mode}${settings === VAD_SETTINGS ? '' : ' (other VAD settings)'}: ${s.dubLines} dub lines for ${s.trueLines}; starts within ±200 ms ${(s.startsWithin200 * 100).toFixed(0)} %, earliest ${s.earliestStart.toFixed(2)} s; `
      + `ends within ±100 ms ${(s.endsWithin100 * 100).toFixed(0)} %, median end error ${(s.medianEndErr * 1000).toFixed(0)} ms`);
    return s;
  };

  beforeAll(async () => {
    scene = await loadScene('festival');
    truth = scene.lines.map((l) => ({ start: l.start, end: l.end }));
    wav = await toWav(scene.audio, path.join(await tempDir('line-edges'), 'festival.wav'));
    asr = await cachedWhisper(wav, 'ja', path.join(TEST_CACHE, 'edges'));
  }, 300_000);

  afterAll(() => closeEngineHosts());

  it('ends lines where the voice ends: median end error within ±50 ms and ≥ 70 % within ±100 ms (Silero’s own ends: over +80 ms late)', async () => {
    const after = await lines(VAD_SETTINGS, false);
    expect(Math.abs(after.medianEndErr)).toBeLessThanOrEqual(0.05);
    expect(after.endsWithin100).toBeGreaterThanOrEqual(0.7);
    const before = await lines({ ...VAD_SETTINGS, endThreshold: null }, false);
    expect(before.medianEndErr).toBeGreaterThan(0.08);
  }, 120_000);

  it('starts ≥ 75 % of the lines within ±200 ms of the true line where the lines are Whisper’s segments on the voice’s edges (no speaker cuts)', async () => {
    const s = await lines(VAD_SETTINGS, false);
    expect(s.startsWithin200).toBeGreaterThanOrEqual(0.75);
    // No bound on the earliest start here: where Whisper base hears two characters as one segment, that line starts
    // at the first one's voice. Which lines it merges depends on the CPU's int8 kernels (none on the Intel hosts of
    // issue 25; two lines, starting 2.63 s early, on an AMD EPYC host): the speaker cuts are what split them, and
    // the default mode below holds every start within 0.5 s.
  }, 120_000);

  it('with the default speaker cuts, starts no line more than 0.5 s early, and cuts no line where one character speaks on (as many starts within ±200 ms as without the cuts)', async () => {
    const cut = await lines();
    expect(cut.earliestStart).toBeGreaterThanOrEqual(-0.5);
    // Before the short pieces took their neighbours' label, two wrong turns cut lines 0 and 11 mid-line (68-75 %).
    expect(cut.startsWithin200).toBeGreaterThanOrEqual((await lines(VAD_SETTINGS, false)).startsWithin200);
  }, 120_000);

  // Issue 25's target (83 % before the voice under the bed and the same-voice pause rule: line 7's first 1.5 s were
  // not voiced under the festival's bed, line 9 was two lines at its own 0.94 s pause; docs/PERFORMANCE.md).
  it('with the default speaker cuts, starts ≥ 90 % of the dub lines within ±200 ms of the true line, none more than 0.5 s early; no dub line carries two characters', async () => {
    const s = await lines();
    expect(s.startsWithin200).toBeGreaterThanOrEqual(0.9);
    expect(s.earliestStart).toBeGreaterThanOrEqual(-0.5);
    // no dub line overlaps true lines of two speakers by more than 0.3 s each
    const twoCharacters = s.lines.filter((l) => new Set(scene.lines.filter((t) => overlap(l, t) > 0.3).map((t) => t.speaker)).size > 1);
    expect(twoCharacters).toEqual([]);
  }, 120_000);

  it('the voice under the bed: Silero on the bed-subtracted audio gives a voiced stretch within ±200 ms of every true line start (the source alone: under 90 %)', async () => {
    const under = await lines(VAD_SETTINGS, false);
    expect(under.vadOnsetsWithin200).toBe(1);
    const alone = await lines({ ...VAD_SETTINGS, underBedSure: null }, false);
    expect(alone.vadOnsetsWithin200).toBeLessThan(0.9);
  }, 120_000);
});

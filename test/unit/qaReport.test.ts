import { describe, expect, it } from '@jest/globals';
import { PNG } from 'pngjs';
import { chooseSeparation, checkDemucs, demucsArgv, demucsStems } from '../../engines/demucs.js';
import { ebur128Argv, parseEbur128, thinFrames } from '../../engines/ebur128.js';
import { gainToTarget, loudnessArgv, separatedMixFilter } from '../../engines/ffmpegMix.js';
import type { FittedLine, TranslatedLine } from '../../lib/job.js';
import { formatQaSummary, qaLines, qaSummary } from '../../lib/qaReport.js';
import { escapeHtml, reportHtml } from '../../formats/reportHtml.js';
import { drawTimeline, lufsToY, TIMELINE_COLORS, TIMELINE_LAYOUT, timeToX } from '../../formats/timelinePng.js';

const line = (index: number, start: number, end: number, extra: Partial<TranslatedLine> = {}): TranslatedLine =>
  ({ index, start, end, text: `source ${index}`, target: `dub ${index}`, ...extra });
const fit = (index: number, start: number, sourceEnd: number, slotEnd: number, dur: number, speed = 1, extra: Partial<FittedLine> = {}): FittedLine =>
  ({ index, path: `tts/${index}.wav`, start, sourceEnd, slotEnd, ttsDurationSec: dur * speed, fittedDurationSec: dur, speed, trimmedSec: 0, paddedSec: slotEnd - start - dur, ...extra });

describe('QA report figures', () => {
  const lines = [
    line(0, 1, 3),
    line(1, 4, 6, { condensed: { from: 'a much longer dub', to: 'dub 1', rules: ['fillers'], estimatedSec: { from: 3, to: 2, slot: 2 } }, rateHint: 1.1 }),
    line(2, 7, 8),
    line(3, 8.5, 10),
  ];
  const fitted = [
    fit(0, 1, 3, 3.9, 2.1),                                    // +5%: keeps its slot
    fit(1, 4, 6, 6.9, 2.0, 1.2, { filter: 'atempo' }),         // exact length, sped up (1.2 × hint 1.1)
    fit(2, 7, 8, 8.42, 1.6, 1, { borrowedSec: 0.42 }),          // +60%, borrowing the gap, and 0.1 s into line 3
    // line 3 missing
  ];
  const rows = qaLines({ lines, fitted, engine: 'espeak-ng', nativeRate: true, maxSpeed: 1.25 });

  it('measures each line against its source line', () => {
    expect(rows[0]).toMatchObject({ withinSlot: true, onsetErrorSec: 0, offsetErrorSec: 0.1, lengthError: 0.05, overlapNextSec: 0, problems: [] });
    expect(rows[1]).toMatchObject({ withinSlot: true, speed: 1.2, speedFactor: 1.32, filter: 'atempo', uncondensedTarget: 'a much longer dub', target: 'dub 1' });
    expect(rows[1].problems).toEqual(['fast: 1.32x']);
    expect(rows[2]).toMatchObject({ withinSlot: false, overlapNextSec: 0.1, borrowedSec: 0.42, slot: { start: 7, end: 8.42 } });
    expect(rows[2].problems.map((p) => p.split(':')[0])).toEqual(['length', 'overlap']);
    expect(rows[3]).toMatchObject({ withinSlot: false, problems: ['missing: no dub for this line'] });
    expect(rows.every((r) => r.engine === 'espeak-ng')).toBe(true);
  });

  it('does not count the rate hint for engines that do not take it', () => {
    const [, r] = qaLines({ lines, fitted, engine: 'festival', nativeRate: false, maxSpeed: 1.25 });
    expect(r.speedFactor).toBe(1.2);
    expect(r.problems).toEqual([]);
  });

  it('summarizes: share within ±10%, max and 95th percentile speed, drift at the end, problems', () => {
    const s = qaSummary(rows, { integratedLufs: -16.2, truePeakDb: -1.3, targetLufs: -16, ceilingDb: -1 });
    expect(s.withinSlotShare).toBe(0.5);
    expect(s.maxSpeedFactor).toBe(1.32);
    expect(s.p95SpeedFactor).toBe(1.32);
    expect(s.endDriftSec).toBe(0);
    expect(s.problemLines.map((p) => p.index)).toEqual([1, 2, 3]);
    const loud = qaSummary(rows, { integratedLufs: -12, truePeakDb: 0.2, targetLufs: -16, ceilingDb: -1 });
    expect(loud.problemLines.filter((p) => p.index < 0)).toHaveLength(2);
    const text = formatQaSummary(s).join('\n');
    expect(text).toMatch(/50% of 4 lines within ±10%/);
    expect(text).toMatch(/-16\.2 LUFS/);
    expect(text).toMatch(/#1 fast, #2 length, #3 missing/);
  });


  it('writes a self-contained page that escapes the texts', () => {
    const html = reportHtml({
      job: 'ep<1>', input: '/in/ep1.mp4', durationSec: 12, languages: { source: 'en', target: 'es' }, engines: { tts: 'espeak-ng' },
      background: 'demucs (audio/separated/no_vocals.wav)', summary: qaSummary(rows), lines: [{ ...rows[0], target: '<script>alert(1)</script>' }],
    }, 'AAAA');
    expect(html).toContain('ep&lt;1&gt;');
    expect(html).not.toContain('<script>');
    expect(html).toContain('src="data:image/png;base64,AAAA"');
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(html).toContain('no_vocals.wav');
    expect(escapeHtml(`"'&`)).toBe('&quot;&#39;&amp;');
  });
});

describe('timeline picture', () => {
  const png = PNG.sync.read(drawTimeline({
    durationSec: 20,
    source: [{ start: 2, end: 5 }],
    dub: [{ start: 2, end: 4.5 }, { start: 10, end: 12, problem: true }],
    loudness: [{ t: 0, momentary: -30, shortTerm: -20 }, { t: 20, momentary: -30, shortTerm: -20 }],
    targetLufs: -16,
  }));
  const at = (x: number, y: number) => [...png.data.subarray((y * png.width + x) * 4, (y * png.width + x) * 4 + 3)];
  const L = TIMELINE_LAYOUT;
  const dubY = L.laneTop + L.laneHeight + L.laneGap + 5;

  it('draws source and dub lanes where the lines are, problems in the warning colour', () => {
    expect([png.width, png.height]).toEqual([L.width, L.height]);
    expect(at(Math.round(timeToX(3, 20)), L.laneTop + 5)).toEqual(TIMELINE_COLORS.source);
    expect(at(Math.round(timeToX(3, 20)), dubY)).toEqual(TIMELINE_COLORS.dub);
    expect(at(Math.round(timeToX(4.8, 20)), dubY)).toEqual(TIMELINE_COLORS.background);
    expect(at(Math.round(timeToX(11, 20)), dubY)).toEqual(TIMELINE_COLORS.problem);
  });

  it('draws the short-term loudness curve at its level', () => {
    expect(at(Math.round(timeToX(15, 20)), Math.round(lufsToY(-20)))).toEqual(TIMELINE_COLORS.shortTerm);
    expect(at(Math.round(timeToX(15, 20)), Math.round(lufsToY(-30)))).toEqual(TIMELINE_COLORS.momentary);
  });
});

const EBUR128_STDERR = `Input #0, wav, from 'mix.wav':
[Parsed_ebur128_0 @ 0x5653e5c5c6c0] t: 0.0999792  TARGET:-23 LUFS    M:-120.7 S:-120.7     I: -70.0 LUFS       LRA:   0.0 LU  FTPK:  -2.1  -2.3 dBFS  TPK:  -2.1  -2.3 dBFS
[Parsed_ebur128_0 @ 0x5653e5c5c6c0] t: 0.399979   TARGET:-23 LUFS    M: -10.2 S:-120.7     I: -10.2 LUFS       LRA:   0.0 LU  FTPK:  -2.2  -1.7 dBFS  TPK:  -2.1  -1.6 dBFS
[Parsed_ebur128_0 @ 0x5653e5c5c6c0] t: 1.59998    TARGET:-23 LUFS    M:   nan S: -17.1     I: -15.5 LUFS       LRA:  11.9 LU  FTPK:  -inf  -inf dBFS  TPK:  -2.0  -2.0 dBFS
[Parsed_ebur128_0 @ 0x5653e5c5c6c0] t: 2.99998    TARGET:-23 LUFS    M:  -9.8 S:  -9.9     I:  -9.9 LUFS       LRA:  20.0 LU  FTPK:  -2.1  -2.2 dBFS  TPK:  -1.6  -1.4 dBFS
size=N/A time=00:00:10.00 bitrate=N/A speed= 164x
[Parsed_ebur128_0 @ 0x5653e5c5c6c0] Summary:

  Integrated loudness:
    I:         -10.1 LUFS
    Threshold: -20.9 LUFS

  Loudness range:
    LRA:         4.5 LU
    Threshold:  -30.1 LUFS
    LRA low:    -14.4 LUFS
    LRA high:    -9.9 LUFS

  True peak:
    Peak:       -1.4 dBFS
`;

describe('engine adapters for the mix', () => {
  it('parses ebur128: summary and per-frame momentary/short-term loudness', () => {
    const s = parseEbur128(EBUR128_STDERR);
    expect(s).toMatchObject({ integratedLufs: -10.1, loudnessRangeLu: 4.5, truePeakDb: -1.4 });
    expect(s.frames).toEqual([
      { t: 0.0999792, momentary: -120.7, shortTerm: -120.7 },
      { t: 0.399979, momentary: -10.2, shortTerm: -120.7 },
      { t: 1.59998, momentary: -Infinity, shortTerm: -17.1 },
      { t: 2.99998, momentary: -9.8, shortTerm: -9.9 },
    ]);
    expect(thinFrames(s.frames, 0.5).map((f) => f.t)).toEqual([0.0999792, 1.59998, 2.99998]);
    expect(() => parseEbur128('Input #0 ... no summary')).toThrow(/no summary/);
    expect(parseEbur128('Summary:\n\n  Integrated loudness:\n    I:         -inf LUFS\n').integratedLufs).toBe(-Infinity);
  });

  it('measures one audio stream of a file, frames at info level', () => {
    expect(ebur128Argv('out.mkv', 0)).toEqual(['ffmpeg', '-nostdin', '-hide_banner', '-nostats', '-v', 'info', '-i', 'out.mkv', '-map', '0:a:0', '-af', 'ebur128=peak=true:framelog=info', '-f', 'null', '-']);
  });

  it('gains to the target and limits under the ceiling, at 48 kHz or oversampled', () => {
    expect(gainToTarget(-20, -16)).toBe(4);
    expect(gainToTarget(-Infinity, -16)).toBe(0);
    expect(gainToTarget(-60, -16)).toBe(20);
    const af = loudnessArgv('in.wav', 'out.wav', 4, -2);
    expect(af[af.indexOf('-af') + 1]).toBe('volume=4.00dB,aresample=192000,alimiter=limit=0.79433:attack=1:release=50:level=false,aresample=48000');
    expect(af.slice(-9, -1)).toEqual(['-ar', '48000', '-ac', '2', '-c:a', 'pcm_s16le', '-f', 'wav']);
    const plain = loudnessArgv('in.wav', 'out.wav', 4, -2.3, false);
    expect(plain[plain.indexOf('-af') + 1]).toBe('volume=4.00dB,alimiter=limit=0.76736:attack=1:release=50:level=false');
    expect(separatedMixFilter(0)).toMatch(/^\[0:a\]aresample=48000,aformat=channel_layouts=stereo/);
  });

  it('builds the demucs argv and knows where its stems land', () => {
    expect(demucsArgv('/j/audio/original.48k.wav', '/j/tmp/sep')).toEqual(['demucs', '--two-stems', 'vocals', '-n', 'htdemucs', '-o', '/j/tmp/sep', '/j/audio/original.48k.wav']);
    expect(demucsStems('/j/audio/original.48k.wav', '/j/tmp/sep')).toEqual({
      background: '/j/tmp/sep/htdemucs/original.48k/no_vocals.wav', vocals: '/j/tmp/sep/htdemucs/original.48k/vocals.wav',
    });
  });

  it('chooses separation: auto follows what is installed', async () => {
    expect(chooseSeparation('auto', true)).toBe('demucs');
    expect(chooseSeparation('auto', false)).toBe('off');
    expect(chooseSeparation('off', true)).toBe('off');
    expect(chooseSeparation('demucs', false)).toBe('demucs');
    expect(await checkDemucs(async () => undefined)).toEqual({ available: false, reason: 'demucs is not installed (pip install demucs)' });
    expect(await checkDemucs(async () => '/usr/bin/demucs')).toEqual({ available: true, program: '/usr/bin/demucs' });
  });
});

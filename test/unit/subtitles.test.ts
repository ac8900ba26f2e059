import { describe, expect, it } from '@jest/globals';
import { detectSubtitleFormat, formatSrt, formatVtt, parseSubtitles } from '../../formats/subtitles.js';

const SRT = `1
00:00:01,000 --> 00:00:02,500
Hello <i>there</i>.

2
00:00:03,000 --> 00:00:04,250
{\\an8}Two
lines here.
`;

const VTT = `WEBVTT

NOTE a comment, not a cue

00:00:01.000 --> 00:00:02.500 align:start
<v Naruto>Believe it!</v>

intro
00:00:03.000 --> 00:00:04.000
<v.loud Sakura Haruno>Tom &amp; Jerry &lt;3</v>

00:00:05.000 --> 00:00:06.000
No voice here.
`;

const ASS = `[Script Info]
Title: test
ScriptType: v4.00+

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
Style: Default,Arial,20,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,2,2,2,10,10,10,1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
Dialogue: 0,0:00:04.00,0:00:05.25,Default,,0,0,0,,{\\an8}Hi\\hthere
Dialogue: 0,0:00:01.50,0:00:03.00,Default,Naruto,0,0,0,,{\\i1}Believe it!{\\i0}\\NDattebayo, ok
Dialogue: 1,0:00:01.50,0:00:03.00,Default,Naruto,0,0,0,,{\\blur3}Believe it!\\NDattebayo, ok
Comment: 0,0:00:02.00,0:00:03.00,Default,,0,0,0,,a note to the typesetter
Dialogue: 0,0:00:06.00,0:00:07.00,Sign,,0,0,0,,{\\p1}m 0 0 l 100 0 100 100 0 100{\\p0}
Dialogue: 0,0:00:08.00,0:00:09.00,Default,Sasuke ,0,0,0,,Hmph.
`;

const strip = (lines: { start: number; end: number; text: string; speaker?: string }[]) =>
  lines.map(({ start, end, text, speaker }) => ({ start, end, text, ...(speaker ? { speaker } : {}) }));

describe('subtitle import', () => {
  it('detects the format from the content', () => {
    expect(detectSubtitleFormat(SRT)).toBe('srt');
    expect(detectSubtitleFormat('\uFEFF' + VTT)).toBe('vtt');
    expect(detectSubtitleFormat(ASS.replace(/\n/g, '\r\n'))).toBe('ass');
  });

  it('reads SRT, dropping markup and joining the rows of a cue', () => {
    expect(strip(parseSubtitles(SRT))).toEqual([
      { start: 1, end: 2.5, text: 'Hello there.' },
      { start: 3, end: 4.25, text: 'Two lines here.' },
    ]);
  });

  it('reads WebVTT with voice tags as speakers and entities decoded; NOTE blocks are not cues', () => {
    expect(strip(parseSubtitles(VTT))).toEqual([
      { start: 1, end: 2.5, text: 'Believe it!', speaker: 'Naruto' },
      { start: 3, end: 4, text: 'Tom & Jerry <3', speaker: 'Sakura Haruno' },
      { start: 5, end: 6, text: 'No voice here.' },
    ]);
  });

  it('reads ASS: speaker names kept, override tags and \\N stripped, comments, drawings and layer repeats left out', () => {
    const lines = parseSubtitles(ASS.replace(/\n/g, '\r\n'));
    expect(lines.map((l) => l.index)).toEqual([0, 1, 2]);
    expect(strip(lines)).toEqual([
      { start: 1.5, end: 3, text: 'Believe it! Dattebayo, ok', speaker: 'Naruto' },
      { start: 4, end: 5.25, text: 'Hi there' },
      { start: 8, end: 9, text: 'Hmph.', speaker: 'Sasuke' },
    ]);
  });

  it('throws on a malformed SRT (the caller turns it into InvalidSubtitles)', () => {
    expect(() => parseSubtitles('1\nthis is not a timestamp\nHello\n')).toThrow();
  });
});

describe('subtitle export round trips', () => {
  it('SRT: parse → write → parse gives the same lines', () => {
    const once = parseSubtitles(SRT);
    expect(parseSubtitles(formatSrt(once))).toEqual(once);
  });

  it('WebVTT: parse → write → parse gives the same lines (text with <, & and --> survives)', () => {
    const once = parseSubtitles(VTT).map(({ speaker: _s, ...l }) => l);
    const tricky = [...once, { index: once.length, start: 7, end: 8.123, text: 'a --> b <i> & c' }];
    const vtt = formatVtt(tricky);
    expect(vtt.startsWith('WEBVTT')).toBe(true);
    expect(parseSubtitles(vtt)).toEqual(tricky);
  });

  it('ASS → SRT: parse → write SRT → parse gives the same timing and text', () => {
    const once = parseSubtitles(ASS);
    expect(parseSubtitles(formatSrt(once))).toEqual(strip(once).map(({ speaker: _s, ...l }, index) => ({ index, ...l })));
  });

  it('ASS → WebVTT keeps times to the millisecond', () => {
    const once = parseSubtitles(ASS);
    expect(formatVtt(once)).toContain('00:00:01.500 --> 00:00:03.000');
  });
});

// Subtitles as fans have them: fansub ASS (karaoke OP, signs, drawings, comments), TV captions (two rows of one
// caption at one instant, bracketed names), SDH (sound cues, music marks, NAME: labels), credits, lenient
// SRT/WebVTT, and cues past the video's end. Every fixture is written here.
import { describe, expect, it } from '@jest/globals';
import { classifyCues, fitToMedia } from '../../lib/subtitleEvents.js';
import { formatSrt, formatVtt, parseSubtitles, readCues } from '../../formats/subtitles.js';

const STYLE_FORMAT = 'Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding';
const style = (name: string) => `Style: ${name},Arial,20,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,2,2,2,10,10,10,1`;

/** An ASS script: the header takes 9 lines before the first event, so event k sits on line 9 + k + extra styles. */
function ass(styles: string[], events: string[]): string {
  return ['[Script Info]', 'ScriptType: v4.00+', '', '[V4+ Styles]', STYLE_FORMAT, ...styles.map(style), '', '[Events]',
    'Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text', ...events].join('\n');
}

const t = (s: number) => `0:00:${s.toFixed(2).padStart(5, '0')}`;
const ev = (start: number, end: number, styleName: string, text: string, name = '', effect = '', kind = 'Dialogue') =>
  `${kind}: 0,${t(start)},${t(end)},${styleName},${name},0,0,0,${effect},${text}`;

/** An OP as fansubs time it: one event per karaoke syllable group, in romaji and kanji styles, plus a translation. */
function karaokeOp(): string[] {
  const syllables = ['{\\k20}su', '{\\k25}ki', '{\\kf30}da', '{\\ko15}yo'];
  return [
    ...syllables.map((s, i) => ev(1 + i * 0.3, 1.3 + i * 0.3, 'OP-Romaji', s)),
    ev(1, 3, 'OP Kanji', '{\\k40}好{\\k40}き'),
    ev(1, 3, 'OP-TL', 'I love you'), // the translated lyric: a song style, no \k
  ];
}

describe('ASS events: only dialogue is voiced', () => {
  const script = ass(['Default', 'OP-Romaji', 'OP Kanji', 'OP-TL', 'Signs', 'Sign Title'], [
    ...karaokeOp(),
    ev(4, 6, 'Default', 'Where were you?', 'Aya'),
    ev(4.5, 6, 'Signs', 'Tokyo Station'),
    ev(4.5, 6, 'Default', '{\\pos(320,40)}Closed'),
    ev(4.5, 6, 'Default', '{\\move(10,10,300,10)}Sale'),
    ev(4.5, 6, 'Default', '{\\p1}m 0 0 l 100 0 100 100 0 100{\\p0}'),
    ev(5, 6, 'Default', 'a note for the editor', '', '', 'Comment'),
    ev(7, 8, 'Default', '{\\pos(320,400)}I was here all along.', 'Ken'),
    ev(9, 10, 'Default', 'Lyrics as a karaoke effect', '', 'Karaoke'),
    ev(11, 12, 'Default', 'Then why did you not answer?', 'Aya'),
    ev(12.5, 13, 'Default', 'My phone died.'),
  ]);

  it('karaoke syllables, OP/ED/song styles, signs (style, \\pos without a speaker, \\move, drawings) and comments are not voiced; each skip has its reason and real line number', () => {
    const { lines, skipped } = classifyCues(readCues(script).cues);
    expect(lines.map((l) => [l.speaker, l.text])).toEqual([
      ['Aya', 'Where were you?'], ['Ken', 'I was here all along.'], ['Aya', 'Then why did you not answer?'], [undefined, 'My phone died.'],
    ]);
    const why = Object.fromEntries(skipped.map((s) => [s.line, s.reason]));
    // Events start at line 15 (the header, six styles, a blank line, [Events] and its Format line before them).
    const first = script.split('\n').findIndex((r) => r.startsWith('Dialogue:')) + 1;
    expect(first).toBe(15);
    const at = (offset: number) => first + offset;
    expect(why).toEqual({
      [at(0)]: 'song', [at(1)]: 'song', [at(2)]: 'song', [at(3)]: 'song', [at(4)]: 'song', [at(5)]: 'song',
      [at(7)]: 'sign', [at(8)]: 'sign', [at(9)]: 'sign', [at(10)]: 'sign', [at(11)]: 'comment', [at(13)]: 'song',
    });
    expect(skipped.find((s) => s.line === 15)).toMatchObject({ why: expect.stringMatching(/karaoke/), style: 'OP-Romaji' });
    expect(skipped.find((s) => s.line === 25)?.why).toMatch(/drawing/);
    expect(skipped.find((s) => s.line === 23)?.why).toMatch(/\\pos/);
  });

  it('--voice-styles voices a song style (the OP dubbed too); --skip-styles silences a dialogue style', () => {
    const cues = readCues(script).cues;
    const sung = classifyCues(cues, { voiceStyles: ['op-tl'] }).lines.map((l) => l.text);
    expect(sung).toContain('I love you');
    const quiet = classifyCues(cues, { skipStyles: ['Default'] });
    expect(quiet.lines).toEqual([]);
    expect(quiet.skipped.filter((s) => s.reason === 'skip-style')).toHaveLength(8);
  });
});

describe('captions: rows of one caption, overlapping speakers', () => {
  it('two rows of one TV caption arriving at the same instant are one line; a bracketed name becomes the speaker', () => {
    const script = ass(['Default'], [
      ev(1, 3, 'Default', '(綾)ねえ、聞いてる？'),
      ev(1, 3.2, 'Default', '今日は早く帰ろうよ'),
      ev(4, 5, 'Default', '（健）うん'),
    ]);
    const { lines, decisions } = classifyCues(readCues(script).cues);
    expect(lines).toEqual([
      { index: 0, start: 1, end: 3.2, text: 'ねえ、聞いてる？ 今日は早く帰ろうよ', speaker: '綾' },
      { index: 1, start: 4, end: 5, text: 'うん', speaker: '健' },
    ]);
    expect(decisions.map((d) => d.action)).toEqual(['speaker-label', 'speaker-label', 'merged']);
  });

  it('TV captions converted to ASS place every row with \\pos: placement then says nothing, the rows are dialogue', () => {
    const script = ass(['Default'], [
      ev(1, 3, 'Default', '{\\pos(640,900)}(綾)ねえ、聞いてる？'),
      ev(1, 3, 'Default', '{\\pos(640,980)}今日は早く帰ろうよ'),
      ev(4, 5, 'Default', '{\\pos(640,980)}うん'),
      ev(6, 7, 'Default', '{\\pos(640,980)}じゃあね'),
    ]);
    const { lines, skipped } = classifyCues(readCues(script).cues);
    expect(skipped).toEqual([]);
    expect(lines.map((l) => l.text)).toEqual(['ねえ、聞いてる？ 今日は早く帰ろうよ', 'うん', 'じゃあね']);
  });

  it('an actor field naming a sign is a sign', () => {
    const { lines, skipped } = classifyCues(readCues(ass(['Default'], [ev(1, 2, 'Default', '{\\pos(1,1)}Exit', 'Sign'), ev(1, 2, 'Default', 'Hello.', 'Aya')])).cues);
    expect(lines.map((l) => l.text)).toEqual(['Hello.']);
    expect(skipped.map((k) => k.reason)).toEqual(['sign']);
  });

  it('two speakers starting together stay two lines (each is voiced)', () => {
    const vtt = 'WEBVTT\n\n00:01.000 --> 00:04.000\n<v Aya>I told you so.\n\n00:01.000 --> 00:02.500\n<v Ken>No way!\n';
    expect(parseSubtitles(vtt).map((l) => [l.speaker, l.text])).toEqual([['Aya', 'I told you so.'], ['Ken', 'No way!']]);
  });
});

describe('SDH, labels and credits', () => {
  const srt = [
    '1', '00:00:01,000 --> 00:00:02,000', '(Profundo rumbling)', '',
    '2', '00:00:02,500 --> 00:00:04,000', '[Música instrumental]', '',
    '3', '00:00:04,500 --> 00:00:06,000', '♪ Hold me close ♪', '',
    '4', '00:00:06,500 --> 00:00:08,000', 'MAN: Get down!', '',
    '5', '00:00:08,500 --> 00:00:10,000', '[door slams] Who is there?', '',
    '6', '00:00:10,500 --> 00:00:12,000', 'Subtitles by the Night Owl Team', '',
    '7', '00:00:12,500 --> 00:00:14,000', 'Download more at www.example-subs.com', '',
    '8', '00:00:14,500 --> 00:00:16,000', '- OLD WOMAN: Come in.', '♪ la la ♪', '',
  ].join('\n');

  it('sound cues and music marks are not voiced; a leading NAME: label becomes the speaker; credits and adverts are dropped; each decision is recorded', () => {
    const { lines, skipped, decisions } = classifyCues(readCues(srt).cues);
    expect(lines.map((l) => [l.speaker, l.text])).toEqual([['MAN', 'Get down!'], [undefined, 'Who is there?'], ['OLD WOMAN', 'Come in.']]);
    expect(skipped.map((s) => [s.line, s.reason])).toEqual([[2, 'sound'], [6, 'sound'], [10, 'music'], [22, 'credit'], [26, 'credit']]);
    expect(decisions).toEqual(expect.arrayContaining([
      expect.objectContaining({ line: 14, action: 'speaker-label' }),
      expect.objectContaining({ line: 18, action: 'sound-removed' }),
      expect.objectContaining({ line: 30, action: 'music-removed' }),
    ]));
  });

  it('speech that merely mentions editing, or says "Look:", is still speech', () => {
    const lines = parseSubtitles('1\n00:00:01,000 --> 00:00:03,000\nIt was edited by my brother.\n\n2\n00:00:04,000 --> 00:00:05,000\nLook: it is here.\n');
    expect(lines.map((l) => [l.speaker, l.text])).toEqual([[undefined, 'It was edited by my brother.'], [undefined, 'Look: it is here.']]);
  });

  it('a parenthetical inside a spoken line stays (condensing decides about it)', () => {
    const lines = parseSubtitles('1\n00:00:01,000 --> 00:00:03,000\nThank you (really) so much.\n');
    expect(lines[0].text).toBe('Thank you (really) so much.');
  });
});

describe('lenient reading, like players', () => {
  it('timestamps without hours or milliseconds, SRT without sequence numbers or blank lines', () => {
    const srt = '00:01 --> 00:02,5\nFirst line\n2\n00:03,000 --> 00:04\nSecond line\n00:00:05.250 --> 00:00:06.000\nThird\n';
    expect(parseSubtitles(srt).map((l) => [l.start, l.end, l.text])).toEqual([[1, 2.5, 'First line'], [3, 4, 'Second line'], [5.25, 6, 'Third']]);
  });

  it('WebVTT: a STYLE block with blank lines, legacy Region: header lines and NOTE blocks are passed over', () => {
    const vtt = [
      'WEBVTT', 'Region: id=fred width=40% lines=3', 'Kind: captions', '',
      'STYLE', '::cue {', '  color: yellow;', '', '}', '', '::cue(b) { color: red; }', '',
      'NOTE written by hand', '',
      'opening', '00:00:01.000 --> 00:00:02.000 region:fred align:left', 'Hello there.', '',
    ].join('\n');
    expect(parseSubtitles(vtt)).toEqual([{ index: 0, start: 1, end: 2, text: 'Hello there.' }]);
  });

  it('a bad cue is skipped with a warning naming its real line; the file is kept while one cue is usable', () => {
    const srt = '1\n00:00:01,000 --> 00:00:02,000\nGood\n\n2\n00:00:0X,000 --> 00:00:04,000\nBad\n\n3\n00:00:05,000 --> 00:00:04,000\nBackwards\n\n4\n00:00:06,000 --> 00:00:07,000\nAlso good\n';
    const parsed = readCues(srt);
    expect(parsed.cues.map((c) => c.text)).toEqual(['Good', 'Also good']);
    expect(parsed.warnings.map((w) => w.line)).toEqual([6, 10]);
    // Messages say what was expected, never what the file holds.
    for (const w of parsed.warnings) expect(w.message).not.toMatch(/Bad|Backwards|0X/);
  });

  it('a file with no usable cue is refused with the first problem’s line, without quoting the file', () => {
    expect(() => parseSubtitles('1\nsecret text here\nHello\n')).toThrow(/line 2/);
    expect(() => parseSubtitles('1\nsecret text here\nHello\n')).not.toThrow(/secret/);
  });

  it('a cue over 64 KiB is skipped at import, before any synthesis', () => {
    const huge = 'a'.repeat(70 * 1024);
    const parsed = readCues(`1\n00:00:01,000 --> 00:00:02,000\n${huge}\n\n2\n00:00:03,000 --> 00:00:04,000\nShort\n`);
    expect(parsed.cues.map((c) => c.text)).toEqual(['Short']);
    expect(parsed.warnings).toEqual([{ line: 2, message: expect.stringMatching(/64 KiB/) }]);
  });
});

describe('subtitles against the video', () => {
  it('cues past the end are counted and dropped, a cue running over the end ends with the video', () => {
    const lines = [0.5, 30, 41, 300, 7200].map((s, index) => ({ index, start: s, end: s + 2, text: `l${index}` }));
    const fit = fitToMedia(lines, 40);
    expect(fit.lines.map((l) => [l.start, l.end])).toEqual([[0.5, 2.5], [30, 32]]);
    expect(fit.pastEnd).toEqual({ count: 3, from: 41, to: 7202 });
    expect(fitToMedia([{ index: 0, start: 39, end: 45, text: 'x' }], 40).lines[0].end).toBe(40);
  });
});

describe('export: one row per cue', () => {
  it('a newline inside a translated line cannot add SRT or WebVTT cues', () => {
    const evil = [{ start: 1, end: 2, text: 'Hi\n\n2\n00:00:05,000 --> 00:00:09,000\ninjected' }];
    expect(parseSubtitles(formatSrt(evil))).toHaveLength(1);
    expect(formatSrt(evil).split('\n').filter((r) => r.includes('-->'))).toHaveLength(1);
    // A translation that starts like a timing line cannot pass for one either.
    expect(parseSubtitles(formatSrt([{ start: 1, end: 2, text: '00:00:05,000 --> 00:00:09,000' }]))).toHaveLength(1);
    const vtt = formatVtt([{ start: 1, end: 2, text: 'Hi\n\n00:00:05.000 --> 00:00:09.000\ninjected' }]);
    expect(vtt.split('\n').filter((r) => / --> /.test(r) && /^\d/.test(r))).toHaveLength(1);
  });
});

describe('emotion tags are not sound cues', () => {
  it('keeps a leading [angry] for --emotion-mode tags, still cutting a sound cue after it', () => {
    const srt = '1\n00:00:01,000 --> 00:00:03,000\n[angry] Get out! [door slams]\n\n2\n00:00:04,000 --> 00:00:05,000\n[door slams]\n';
    const { lines, skipped } = classifyCues(readCues(srt).cues);
    expect(lines.map((l) => l.text)).toEqual(['[angry] Get out!']);
    expect(skipped.map((s) => s.reason)).toEqual(['sound']);
  });
});

// Subtitles as releases ship them (issue 28): karaoke templater output, two speakers on one row, labels in any
// case. The fixtures are generated in test/fixtures/releaseSubtitles.ts.
import { describe, expect, it } from '@jest/globals';
import { classifyCues, looksLikeCaptions, type RawCue } from '../../lib/subtitleEvents.js';
import { burstMembers, isSong, songTraits, styleWords, syllableFragment } from '../../lib/songEvents.js';
import { dashedUtterances, leadingLabel, OTHER_SPEAKER, splitByTextLength, splitByWords, utteranceSpeakers } from '../../lib/speakerRows.js';
import { readCues } from '../../formats/subtitles.js';
import { reportHtml } from '../../formats/reportHtml.js';
import { qaSummary } from '../../lib/qaReport.js';
import { assEvent, assScript, DASHED_SRT, dashedAss, karaokeRelease, LABELS_SRT } from '../fixtures/releaseSubtitles.js';

const speakersOf = (lines: { speaker?: string }[]) => new Set(lines.map((l) => l.speaker ?? ''));

describe('karaoke effects output (a templater’s per-syllable events) is a song, not dialogue', () => {
  const fx = karaokeRelease();
  const parsed = readCues(fx.ass);
  const result = classifyCues(parsed.cues);

  it('a file of 300+ per-syllable events, placed, animated and layered, voices exactly its one dialogue line', () => {
    expect(fx.songEvents).toBeGreaterThanOrEqual(300);
    expect(parsed.warnings).toEqual([]);
    // No syllable lost to de-duplication; the one template comment of tags alone holds no text, so is no cue.
    const comments = fx.commentEvents - 1;
    expect(parsed.cues).toHaveLength(fx.songEvents + comments + 1);
    expect(result.lines).toEqual([{ index: 0, start: fx.dialogue.start, end: fx.dialogue.end, text: fx.dialogue.text }]);
    const byReason: Record<string, number> = {};
    for (const s of result.skipped) byReason[s.reason] = (byReason[s.reason] ?? 0) + 1;
    expect(byReason).toEqual({ song: fx.songEvents, comment: comments });
  });

  it('the block in a plain style with no Effect is told by its shape (placed, layered, syllables, bursts, under a song line)', () => {
    const plain = result.skipped.filter((s) => s.style === 'Default');
    expect(plain).toHaveLength(fx.plainStyleSyllables);
    expect(plain.every((s) => s.reason === 'song')).toBe(true);
    // Several weak traits, no strong one: the report names them.
    expect(plain[0].why).toMatch(/placed or animated/);
    expect(plain[0].why).toMatch(/syllable fragment/);
    expect(result.skipped.find((s) => s.style === 'OPRomaji 2')?.why).toMatch(/karaoke effect|song style/);
  });

  it('song translations (OP-Eng, ED_TL, unplaced full sentences) are songs, unless --voice-styles names them', () => {
    expect(result.skipped.filter((s) => s.style === 'OP-Eng' || s.style === 'ED_TL').every((s) => s.reason === 'song')).toBe(true);
    const sung = classifyCues(parsed.cues, { voiceStyles: ['OP-Eng'] }).lines;
    expect(sung).toHaveLength(7);
    expect(sung.map((l) => l.text)).toContain('I can hear your voice');
  });

  it('style names with OP/ED/kara/romaji anywhere in them read as song styles', () => {
    expect(styleWords('OPRomaji 2')).toEqual(['op', 'romaji', '2']);
    expect(styleWords('EDJP')).toEqual(['edjp']);
    expect(styleWords('Kara-Romaji')).toEqual(['kara', 'romaji']);
    const traits = (style: string, effect = '') => songTraits({ start: 0, end: 1, line: 1, text: 'Hello there', ass: { style, effect, karaoke: false, drawing: false, positioned: false, moving: false } }, false, false);
    for (const style of ['OPRomaji 2', 'OP-Eng', 'EDJP', 'ED_TL', 'Kara-Romaji', 'Insert Song']) expect(isSong(traits(style), undefined)).toBe(true);
    for (const style of ['Default', 'Main', 'Flashback', 'Default TL', 'Italics']) expect(isSong(traits(style), undefined)).toBe(false);
    expect(isSong(traits('Default', 'fx'), undefined)).toBe(true);
  });

  it('one weak trait is not a song: a placed short line with a speaker stays dialogue; a sign stays a sign', () => {
    const script = assScript(['Default'], [
      assEvent('Dialogue', 1, 1, 2, 'Default', 'Aya', '', '{\\pos(400,900)\\fad(100,100)}No.'),
      assEvent('Dialogue', 1, 3, 5, 'Default', '', '', '{\\pos(400,100)\\fad(200,200)}Tokyo Station'),
      assEvent('Dialogue', 0, 6, 8, 'Default', '', '', 'Fine, let us go.'),
      assEvent('Dialogue', 0, 9, 10, 'Default', '', '', 'Take the bag.'),
      assEvent('Dialogue', 0, 11, 12, 'Default', '', '', 'Which one?'),
    ]);
    const { lines, skipped } = classifyCues(readCues(script).cues);
    expect(lines.map((l) => [l.speaker, l.text])).toEqual([['Aya', 'No.'], [undefined, 'Fine, let us go.'], [undefined, 'Take the bag.'], [undefined, 'Which one?']]);
    expect(skipped.map((s) => s.reason)).toEqual(['sign']);
  });

  it('bursts: six short events chaining within hundredths of a second, or ending together', () => {
    const cue = (start: number, end: number, text = 'ka'): RawCue => ({ start, end, text, line: 1, ass: { style: 'Default', effect: '', karaoke: false, drawing: false, positioned: true, moving: false } });
    expect(burstMembers(Array.from({ length: 6 }, (_, i) => cue(1 + i * 0.03, 2 + i)))).toHaveProperty('size', 6);
    expect(burstMembers(Array.from({ length: 6 }, (_, i) => cue(1 + i * 0.5, 9)))).toHaveProperty('size', 6);
    expect(burstMembers(Array.from({ length: 5 }, (_, i) => cue(1 + i * 0.03, 9)))).toHaveProperty('size', 0);
    expect(burstMembers(Array.from({ length: 8 }, (_, i) => cue(1 + i * 0.03, 2 + i, 'Longer words')))).toHaveProperty('size', 0);
    expect(['sho', '好き', 'Home.', 'a b', 'Eh?', 'No.'].map(syllableFragment)).toEqual([true, true, false, false, false, false]);
  });

  it('TV captions placed row by row keep their exception, even beside a karaoke; a crowded placed file does not', () => {
    const captions = [1, 4, 7, 10].flatMap((t, i) => [
      assEvent('Dialogue', 0, t, t + 2.5, 'Default', '', '', `{\\pos(960,900)}Caption number ${i} first row`),
      assEvent('Dialogue', 0, t, t + 2.5, 'Default', '', '', `{\\pos(960,980)}and its second row here`),
    ]);
    const withSong = classifyCues(readCues(assScript(['Default', 'OPRomaji 2'], [
      ...captions,
      ...Array.from({ length: 12 }, (_, i) => assEvent('Dialogue', 1, 1 + i * 0.02, 3, 'OPRomaji 2', '', 'fx', `{\\pos(${100 + i * 40},60)}ra`)),
    ])).cues);
    expect(withSong.lines).toHaveLength(4);
    expect(withSong.skipped.every((s) => s.reason === 'song')).toBe(true);

    // Five placed signs at once and one spoken line: placement marks the signs although most rows are placed.
    const crowded = classifyCues(readCues(assScript(['Default'], [
      ...Array.from({ length: 5 }, (_, i) => assEvent('Dialogue', 0, 1, 6, 'Default', '', '', `{\\pos(${200 * i},500)}Shop sign ${i}`)),
      assEvent('Dialogue', 0, 2, 4, 'Default', '', '', 'Where is the station?'),
    ])).cues);
    expect(crowded.lines.map((l) => l.text)).toEqual(['Where is the station?']);
    expect(crowded.skipped.map((s) => s.reason)).toEqual(['sign', 'sign', 'sign', 'sign', 'sign']);
    const c = (start: number, end: number, text: string): RawCue => ({ start, end, text, line: 1 });
    expect(looksLikeCaptions([c(0, 2, 'Hello there'), c(0, 2, 'second row'), c(3, 4, 'うん')])).toBe(true);
    expect(looksLikeCaptions([c(0, 2, 'ka'), c(0, 2, 'ze'), c(0, 2, 'ni'), c(0, 2, 'no')])).toBe(false);
  });
});

describe('two speakers on one row', () => {
  it('SRT: each dashed exchange becomes two lines with two different speakers, the cue split by text length', () => {
    const { lines, decisions, skipped } = classifyCues(readCues(DASHED_SRT).cues);
    expect(lines.map((l) => [l.start, l.end, l.speaker, l.text])).toEqual([
      [1, 3.318, undefined, 'Where are you going?'], // 17 of 22 characters
      [3.318, 4, OTHER_SPEAKER, 'Home.'],
      [5, 6.304, 'Misaki', 'Wait for me!'], // 10 of 23 characters
      [6.304, 8, 'Old man', 'Hurry up, then.'],
      [9, 11, undefined, 'Who is there?'], // the other "utterance" was a sound cue
      [12, 14, undefined, 'I was going to-- --to the station.'], // "--" continues a sentence: one speaker
      [15, 17, undefined, 'Just one of us talks here.'],
    ]);
    expect(skipped).toEqual([]);
    expect(decisions.filter((d) => d.action === 'split').map((d) => [d.line, d.detail])).toEqual([
      [2, expect.stringMatching(/2 lines, 2 speakers, timed by text length/)],
      [7, expect.stringMatching(/2 lines, 2 speakers/)],
    ]);
  });

  it('ASS: \\N-separated dashed rows split too; an actor field naming both ("Aya/Ken") gives each their name', () => {
    const { lines } = classifyCues(readCues(dashedAss()).cues);
    expect(lines.map((l) => [l.speaker, l.text])).toEqual([['Aya', 'Did you eat?'], ['Ken', 'Not yet.'], [undefined, 'Are you sure about this?'], [OTHER_SPEAKER, 'No.']]);
    for (const [a, b] of [[0, 1], [2, 3]]) {
      expect(lines[a].end).toBe(lines[b].start);
      expect(speakersOf([lines[a], lines[b]]).size).toBe(2);
    }
  });

  it('when recognition heard the words, the split falls in the pause between them, not at the text’s proportion', () => {
    const words = [
      { text: 'Where', start: 1.0, end: 1.3 }, { text: 'are', start: 1.3, end: 1.45 }, { text: 'you', start: 1.45, end: 1.6 },
      { text: 'going', start: 1.6, end: 2.0 }, { text: 'Home', start: 2.6, end: 3.0 },
    ];
    expect(splitByWords(1, 4, ['Where are you going?', 'Home.'], words)).toEqual([2.3]);
    expect(splitByTextLength(1, 4, ['Where are you going?', 'Home.'])).toEqual([3.318]);
    const { lines, decisions } = classifyCues(readCues(DASHED_SRT).cues, {}, words);
    expect(lines.slice(0, 2).map((l) => [l.start, l.end])).toEqual([[1, 2.3], [2.3, 4]]);
    expect(decisions.find((d) => d.action === 'split')?.detail).toMatch(/words recognition heard/);
    expect(splitByWords(1, 4, ['a', 'b'], words.slice(0, 1))).toBeUndefined();
  });

  it('utterances: a lone dashed row is one speaker; rows without a dash join the one before', () => {
    expect(dashedUtterances(['- Hi.'])).toEqual([['- Hi.']]);
    expect(dashedUtterances(['- Hi.', 'there.', '- Bye.'])).toEqual([['- Hi.', 'there.'], ['- Bye.']]);
    expect(utteranceSpeakers([undefined, undefined, undefined], 'Aya')).toEqual(['Aya', OTHER_SPEAKER, 'Aya']);
    expect(utteranceSpeakers(['Ken', undefined], undefined)).toEqual(['Ken', OTHER_SPEAKER]);
  });
});

describe('names in any case', () => {
  it('a leading Name: (mixed case, up to three words) becomes the speaker; Note:, Look:, Warning:, times and numbers do not', () => {
    const { lines, decisions } = classifyCues(readCues(LABELS_SRT).cues);
    expect(lines.map((l) => [l.speaker, l.text])).toEqual([
      ['Misaki', 'Wait!'],
      ['Old man', '… Go home.'],
      ['Dr. Kim', 'Sit down, please.'],
      [undefined, 'Note: The shop closes early today.'],
      [undefined, 'Time: 10:30 sharp.'],
      [undefined, '10:30 is too late for me.'],
      [undefined, 'Look: it is right here.'],
      ['GUARD', 'Stop right there.'],
      [undefined, 'Warning: Do not open the door.'],
    ]);
    // The decision is in the report: each label taken, and each false friend kept as speech with why.
    expect(decisions.filter((d) => d.action === 'speaker-label').map((d) => d.line)).toEqual([2, 6, 10, 30]);
    expect(decisions.filter((d) => d.action === 'label-kept').map((d) => [d.line, d.detail])).toEqual([
      [14, expect.stringMatching(/common word/)],
      [18, expect.stringMatching(/number or a time/)],
      [26, expect.stringMatching(/common word/)],
      [34, expect.stringMatching(/common word/)],
    ]);
    for (const d of decisions) expect(d.detail).not.toMatch(/Note|Look|Warning|Misaki/);
  });

  it('the label rules, one by one', () => {
    expect(leadingLabel('Mary-Jane: Hi!')).toMatchObject({ speaker: 'Mary-Jane', how: 'name' });
    expect(leadingLabel('OLD WOMAN: come in')).toMatchObject({ speaker: 'OLD WOMAN', how: 'capitals' });
    expect(leadingLabel('The man in the hat: Hello.')).toBeUndefined(); // more than three words
    expect(leadingLabel('Translator’s note: Senpai means…')).toMatchObject({ rejected: expect.stringMatching(/common word/) });
    expect(leadingLabel('Misaki: well…')).toMatchObject({ rejected: expect.stringMatching(/does not open a sentence/) });
    expect(leadingLabel('Ken: 「待って」')).toMatchObject({ speaker: 'Ken' });
  });
});

describe('report.html shows what was not voiced, as report.json does', () => {
  it('counts by reason and a collapsible list with each event’s line, time, reason, style and why; style names escaped', () => {
    const fx = karaokeRelease();
    const { lines, skipped, decisions } = classifyCues(readCues(fx.ass).cues);
    const hostile = { ...skipped[skipped.length - 1], style: '<img src=x onerror=alert(1)>' };
    const page = (subtitles?: object) => reportHtml({
      job: 'ep1', input: '/in/ep1.mkv', durationSec: 30, languages: { source: 'ja', target: 'en' }, engines: { tts: 'espeak-ng' },
      summary: qaSummary([]), lines: [], ...(subtitles ? { subtitles } : {}),
    }, 'AAAA');
    const html = page({ source: 'ep1.ass', voiced: lines.length, skipped: [...skipped, hostile], skippedByReason: { song: fx.songEvents, comment: fx.commentEvents - 1 }, decisions });
    expect(html).toContain('<h2>Subtitles</h2>');
    expect(html).toContain('1 line voiced');
    expect(html).toContain(`${fx.songEvents + fx.commentEvents - 1} events not voiced`);
    expect(html).toMatch(new RegExp(`<th>songs \\(karaoke, OP/ED, lyrics\\)</th><td>${fx.songEvents}</td>`));
    expect(html).toMatch(/<details><summary>Events not voiced, one by one \(\d+\)<\/summary>/);
    const first = skipped.find((k) => k.reason === 'song')!;
    expect(html).toContain(`<tr><td>${first.line}</td><td>0:00.70–0:03.50</td><td>song</td><td>OPRomaji 2</td>`);
    expect(html).not.toContain('<img src=x');
    expect(html.match(/<tr><td>\d+<\/td><td>\d+:\d\d\.\d\d–/g)).toHaveLength(skipped.length + 1);
    expect(page()).not.toContain('<h2>Subtitles</h2>');
    // Label decisions and splits are listed too, by file line.
    const labelled = classifyCues(readCues(LABELS_SRT).cues);
    const withLabels = page({ source: 'ep1.srt', voiced: labelled.lines.length, skipped: [], decisions: labelled.decisions });
    expect(withLabels).toContain('changes: speaker-label: 4, label-kept: 4');
    expect(withLabels).toContain('<tr><td>14</td><td>label-kept</td><td>a leading &quot;Word:&quot; was kept as speech: a common word before the colon, not a name</td></tr>');
  });
});

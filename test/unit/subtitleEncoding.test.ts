// Subtitle files in the encodings they really come in: BOMs, UTF-16 with and without a mark, a valid UTF-8 file
// holding U+FFFD, Latin-1/CP1252 BluRay rips, Shift_JIS fansubs. Bytes made here with iconv-lite.
import { describe, expect, it } from '@jest/globals';
import iconv from 'iconv-lite';
import { decodeSubtitleBytes } from '../../formats/subtitleEncoding.js';
import { parseSubtitles } from '../../formats/subtitles.js';

const SRT_LATIN = '1\n00:00:01,000 --> 00:00:03,000\n¿Qué pasó? ¡Está aquí, señor García!\n\n2\n00:00:04,000 --> 00:00:06,000\nÇa va très bien, merci. « Où est-il ? »\n\n3\n00:00:07,000 --> 00:00:09,000\nÉlève, garçon, façade, naïve, cœur – “quoted”\n';
const SRT_JA = '1\n00:00:01,000 --> 00:00:03,000\nねえ、聞いてる？今日は早く帰ろうよ。\n\n2\n00:00:04,000 --> 00:00:06,000\nうん、わかった。駅で待ってるね。\n\n3\n00:00:07,000 --> 00:00:09,000\n東京の空はきれいだな。明日も晴れるといいね。\n';

describe('subtitle encodings', () => {
  it('honours a UTF-8 BOM and UTF-16 BOMs (little and big endian)', () => {
    expect(decodeSubtitleBytes(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(SRT_JA)]))).toMatchObject({ text: SRT_JA, encoding: 'UTF-8', by: 'bom' });
    expect(decodeSubtitleBytes(Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode(SRT_LATIN, 'utf16le')]))).toMatchObject({ text: SRT_LATIN, encoding: 'UTF-16LE' });
    expect(decodeSubtitleBytes(Buffer.concat([Buffer.from([0xfe, 0xff]), iconv.encode(SRT_LATIN, 'utf16be')]))).toMatchObject({ text: SRT_LATIN, encoding: 'UTF-16BE' });
  });

  it('reads UTF-16 without a BOM by its zero bytes', () => {
    expect(decodeSubtitleBytes(iconv.encode(SRT_LATIN, 'utf16le'))).toMatchObject({ text: SRT_LATIN, by: 'zero-bytes' });
  });

  it('accepts valid UTF-8 that holds a U+FFFD character (it is text, not a wrong encoding)', () => {
    const text = SRT_LATIN.replace('señor', 'se\uFFFDor');
    const decoded = decodeSubtitleBytes(Buffer.from(text, 'utf8'));
    expect(decoded).toMatchObject({ text, encoding: 'UTF-8', by: 'utf8' });
    expect(parseSubtitles(decoded.text)).toHaveLength(3);
  });

  it('detects a Latin-1/CP1252 BluRay SRT and reads its accents and curly quotes', () => {
    const decoded = decodeSubtitleBytes(iconv.encode(SRT_LATIN, 'windows-1252'));
    expect(decoded.by).toBe('detected');
    expect(decoded.text).toBe(SRT_LATIN);
  });

  it('detects a Shift_JIS fansub SRT', () => {
    const decoded = decodeSubtitleBytes(iconv.encode(SRT_JA, 'Shift_JIS'));
    expect(decoded.encoding).toMatch(/shift_jis/i);
    expect(parseSubtitles(decoded.text).map((l) => l.text)).toEqual(['ねえ、聞いてる？今日は早く帰ろうよ。', 'うん、わかった。駅で待ってるね。', '東京の空はきれいだな。明日も晴れるといいね。']);
  });

  it('detects GB18030/GBK Chinese', () => {
    const zh = '1\n00:00:01,000 --> 00:00:03,000\n你今天怎么样？我们一起去吃饭吧。\n\n2\n00:00:04,000 --> 00:00:06,000\n好的，我在车站等你。天气很好。\n';
    const decoded = decodeSubtitleBytes(iconv.encode(zh, 'gb18030'));
    expect(decoded.text).toBe(zh);
  });
});

// Subtitle bytes → text, as players read them: a byte-order mark decides; valid UTF-8 is UTF-8 (even when it holds
// U+FFFD as a character); UTF-16 without a mark is recognised by its zero bytes; anything else is detected by
// chardet and decoded by iconv-lite (Latin-1/CP1252 BluRay rips, Shift_JIS and EUC-JP fansubs, GBK, Big5 …).
// Pure code over a byte array: no I/O, so tests can hand it any bytes.
import chardet from 'chardet';
import iconv from 'iconv-lite';

export interface DecodedText {
  text: string;
  /** What the bytes were read as (recorded in subtitles.json). */
  encoding: string;
  /** How that was decided: the byte-order mark, valid UTF-8, the zero-byte pattern, or detection. */
  by: 'bom' | 'utf8' | 'zero-bytes' | 'detected' | 'fallback';
}

export function decodeSubtitleBytes(bytes: Uint8Array): DecodedText {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return { text: utf8(b.subarray(3)), encoding: 'UTF-8', by: 'bom' };
  if (b[0] === 0xff && b[1] === 0xfe) return { text: iconv.decode(b.subarray(2), 'utf16le'), encoding: 'UTF-16LE', by: 'bom' };
  if (b[0] === 0xfe && b[1] === 0xff) return { text: iconv.decode(b.subarray(2), 'utf16be'), encoding: 'UTF-16BE', by: 'bom' };
  const strict = strictUtf8(b);
  if (strict !== undefined) return { text: strict, encoding: 'UTF-8', by: 'utf8' };
  const wide = utf16ByZeros(b);
  if (wide) return { text: iconv.decode(b, wide), encoding: wide === 'utf16le' ? 'UTF-16LE' : 'UTF-16BE', by: 'zero-bytes' };
  const detected = chardet.detect(b);
  // ISO-8859-1 as detected is almost always Windows-1252 (curly quotes, dashes in 0x80–0x9F): read it as that.
  const name = detected && /^ISO-8859-1$/i.test(detected) ? 'windows-1252' : detected;
  if (name && !/^UTF-(8|16|32)/i.test(name) && iconv.encodingExists(name)) {
    return { text: iconv.decode(b, name), encoding: name, by: 'detected' };
  }
  return { text: iconv.decode(b, 'windows-1252'), encoding: 'windows-1252', by: 'fallback' };
}

function utf8(b: Buffer): string {
  return new TextDecoder('utf-8').decode(b);
}

function strictUtf8(b: Buffer): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(b);
  } catch {
    return undefined;
  }
}

/** UTF-16 text of mostly ASCII has a zero in every other byte: even positions for big-endian, odd for little. */
function utf16ByZeros(b: Buffer): 'utf16le' | 'utf16be' | undefined {
  const n = Math.min(b.length - (b.length % 2), 4096);
  if (n < 8) return undefined;
  let evenZeros = 0;
  let oddZeros = 0;
  for (let i = 0; i < n; i += 2) {
    if (b[i] === 0) evenZeros++;
    if (b[i + 1] === 0) oddZeros++;
  }
  const pairs = n / 2;
  if (oddZeros > pairs * 0.3 && evenZeros < pairs * 0.05) return 'utf16le';
  if (evenZeros > pairs * 0.3 && oddZeros < pairs * 0.05) return 'utf16be';
  return undefined;
}

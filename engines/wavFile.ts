// A WAV opened for positional reads: the header parsed from the first bytes, the PCM read where it is wanted, so a
// programme-long track is never loaded whole. The one place that opens a WAV (cutting ASR pieces, measuring a
// clip, placing clips in the dub track, prosody analysis).
import { open, stat, type FileHandle } from 'node:fs/promises';
import { parseWavHeader, wavDurationSec, type WavFormat } from '../lib/wav.js';

/** ffmpeg's, piper's, Kokoro's and our own headers all end well inside this. */
const HEAD_BYTES = 65_536;

export interface WavFile {
  fh: FileHandle;
  fmt: WavFormat;
  /** Bytes of one frame (a sample of every channel). */
  frameBytes: number;
  /** Whole frames in the data chunk. */
  totalFrames: number;
  /** Frames [from, from + count) as they are stored; a file cut short reads as zeros (silence) past its end. */
  readFrames(from: number, count: number): Promise<Buffer>;
  close(): Promise<void>;
}

/** Opens and parses a WAV (a header that is not RIFF/WAVE PCM throws a plain Error the caller words for its job). */
export async function openWav(file: string): Promise<WavFile> {
  const size = (await stat(file)).size;
  const fh = await open(file, 'r');
  try {
    const head = Buffer.alloc(Math.min(HEAD_BYTES, size));
    await fh.read(head, 0, head.length, 0);
    const fmt = parseWavHeader(head, size);
    const frameBytes = fmt.channels * (fmt.bitsPerSample / 8);
    return {
      fh,
      fmt,
      frameBytes,
      totalFrames: frameBytes > 0 ? Math.floor(fmt.dataBytes / frameBytes) : 0,
      async readFrames(from, count) {
        const buf = Buffer.alloc(Math.max(0, count) * frameBytes);
        for (let got = 0; got < buf.length;) {
          const { bytesRead } = await fh.read(buf, got, buf.length - got, fmt.dataOffset + from * frameBytes + got);
          if (bytesRead === 0) break;
          got += bytesRead;
        }
        return buf;
      },
      close: () => fh.close(),
    };
  } catch (e) {
    await fh.close();
    throw e;
  }
}

/** `use` with the WAV open; closed after, whatever happens. */
export async function withWav<T>(file: string, use: (wav: WavFile) => Promise<T>): Promise<T> {
  const wav = await openWav(file);
  try {
    return await use(wav);
  } finally {
    await wav.close();
  }
}

export function wavFileDuration(file: string): Promise<number> {
  return withWav(file, async (wav) => wavDurationSec(wav.fmt));
}

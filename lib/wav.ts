// Just enough RIFF/WAVE to place PCM samples ourselves (the dub track is assembled sample-exact in Node).

export interface WavFormat {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  /** Byte offset of the PCM data and its length. */
  dataOffset: number;
  dataBytes: number;
}

/** Parse the header from the first bytes of a file (64 KiB is always enough for ffmpeg's output). */
export function parseWavHeader(head: Uint8Array, fileSize: number): WavFormat {
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const tag = (at: number) => String.fromCharCode(head[at], head[at + 1], head[at + 2], head[at + 3]);
  if (head.byteLength < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') throw new Error('not a RIFF/WAVE file');
  let at = 12;
  let fmt: Omit<WavFormat, 'dataOffset' | 'dataBytes'> | undefined;
  while (at + 8 <= head.byteLength) {
    const id = tag(at);
    const size = view.getUint32(at + 4, true);
    if (id === 'fmt ') {
      const audioFormat = view.getUint16(at + 8, true);
      if (audioFormat !== 1 && audioFormat !== 0xfffe) throw new Error(`unsupported WAV encoding ${audioFormat} (want PCM)`);
      fmt = { channels: view.getUint16(at + 10, true), sampleRate: view.getUint32(at + 12, true), bitsPerSample: view.getUint16(at + 22, true) };
    } else if (id === 'data') {
      if (!fmt) throw new Error('WAV data chunk before fmt chunk');
      // ffmpeg writes 0xFFFFFFFF when it streamed the file; the real size is what is on disk.
      const dataBytes = size === 0xffffffff || at + 8 + size > fileSize ? fileSize - (at + 8) : size;
      return { ...fmt, dataOffset: at + 8, dataBytes };
    }
    at += 8 + size + (size % 2);
  }
  throw new Error('WAV data chunk not found');
}

export function wavDurationSec(f: WavFormat): number {
  return f.dataBytes / (f.sampleRate * f.channels * (f.bitsPerSample / 8));
}

/** A canonical 44-byte PCM header. */
export function wavHeader(sampleRate: number, channels: number, bitsPerSample: number, dataBytes: number): Uint8Array {
  const buf = new Uint8Array(44);
  const view = new DataView(buf.buffer);
  const put = (at: number, s: string) => { for (let i = 0; i < 4; i++) buf[at + i] = s.charCodeAt(i); };
  const blockAlign = channels * (bitsPerSample / 8);
  put(0, 'RIFF'); view.setUint32(4, 36 + dataBytes, true); put(8, 'WAVE');
  put(12, 'fmt '); view.setUint32(16, 16, true); view.setUint16(20, 1, true); view.setUint16(22, channels, true);
  view.setUint32(24, sampleRate, true); view.setUint32(28, sampleRate * blockAlign, true);
  view.setUint16(32, blockAlign, true); view.setUint16(34, bitsPerSample, true);
  put(36, 'data'); view.setUint32(40, dataBytes, true);
  return buf;
}

// ffmpeg argv for streaming: cutting chunks, per-chunk containers, HLS segments, the stitch.
import type { VideoPacket } from '../lib/chunkPlan.js';

const base = ['ffmpeg', '-nostdin', '-v', 'error', '-y'];

/**
 * A time for ffmpeg's -ss/-t: microseconds, ffmpeg's own resolution. A frame's time given this way rounds back to
 * that very frame in any stream time base coarser than 1 µs; three decimals would fall before it (20.833 for the
 * frame at 20.8333 s) and a seek or a stream copy would start one GOP early.
 */
export const sec = (t: number): string => Math.max(0, t).toFixed(6);

/**
 * Every packet of the first video stream in decode order, with the stream's time base and the file's start time:
 * exact frame times and the keyframes (flag K) without decoding anything.
 */
export function videoPacketsArgv(input: string): string[] {
  return ['ffprobe', '-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts,dts,flags:stream=time_base:format=start_time', '-of', 'compact=p=1:nk=0', input];
}

/** Packets with times in seconds from the file's start (what -ss counts from), computed from the integer timestamps. */
export function parseVideoPackets(text: string): VideoPacket[] {
  const rows = text.split('\n').map((line) => {
    const [section, ...fields] = line.trim().split('|');
    return { section, f: Object.fromEntries(fields.map((kv) => kv.split('=') as [string, string])) };
  });
  const tb = rows.find((r) => r.section === 'stream')?.f.time_base?.split('/').map(Number);
  if (!tb || tb.length !== 2 || !tb[0] || !tb[1]) return [];
  const start = Number(rows.find((r) => r.section === 'format')?.f.start_time);
  const origin = Number.isFinite(start) ? start : 0;
  const seconds = (ts: string | undefined) => (ts === undefined || ts === 'N/A' ? NaN : (Number(ts) * tb[0]) / tb[1] - origin);
  return rows
    .filter((r) => r.section === 'packet')
    .map(({ f }) => {
      const pts = seconds(f.pts);
      const dts = seconds(f.dts);
      return { pts, dts: Number.isFinite(dts) ? dts : pts, key: (f.flags ?? '').includes('K') };
    })
    .filter((p) => Number.isFinite(p.pts));
}

/**
 * The chunk's own video (and original audio), starting with the frame at `start` and ending before the frame at
 * `end`. Copied: the copy starts at the keyframe at `start` and reads `copyReadSec` of decode time (up to the
 * next keyframe's packet); the sound comes from a second, sample-exact read. Re-encoded: decoded from the
 * keyframe before `start`, frames before it dropped, timestamps passed through (the source's frame timing).
 * No -avoid_negative_ts: B-frames give the first packet a negative decode time, and shifting that to zero would
 * push the picture 2–3 frames behind the sound.
 */
export function cutVideoArgv(input: string, start: number, end: number, copyReadSec: number | undefined | false, output: string, audioStream = 0): string[] {
  const duration = end - start;
  const a = audioMap(audioStream);
  const audioOut = ['-c:a', 'aac', '-b:a', '192k', '-f', 'mp4', output];
  if (copyReadSec !== false) {
    const read = copyReadSec === undefined ? [] : ['-t', sec(copyReadSec)];
    return [...base, '-ss', sec(start), ...read, '-i', input, '-ss', sec(start), '-t', sec(duration), '-i', input, '-map', '0:v:0', '-map', `1:${a}`, '-c:v', 'copy', ...audioOut];
  }
  return [
    ...base, '-ss', sec(start), '-t', sec(duration), '-i', input, '-map', '0:v:0', '-map', `0:${a}`,
    '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '20', '-pix_fmt', 'yuv420p', '-fps_mode', 'passthrough', '-enc_time_base', '-1',
    ...audioOut,
  ];
}

/** The input's n-th audio stream (`--audio-track`), as a map specifier; checked here, where the argv is built. */
function audioMap(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 99) throw new RangeError(`audio stream ${n} is not a track number`);
  return `a:${n}`;
}

export function cutAudioArgv(input: string, start: number, duration: number, rate: number, channels: number, output: string, audioStream = 0): string[] {
  return [...base, '-ss', sec(start), '-t', sec(duration), '-i', input, '-map', `0:${audioMap(audioStream)}`, '-vn', '-ac', String(channels), '-ar', String(rate), '-c:a', 'pcm_s16le', '-f', 'wav', output];
}

/** chunk_NNN.mp4: the chunk's video copied, the dub (default) and the original audio, language-tagged. */
export function muxChunkArgv(chunkVideo: string, dubAudio: string, tgtLang: string, srcLang: string, output: string): string[] {
  return [
    ...base, '-i', chunkVideo, '-i', dubAudio,
    '-map', '0:v:0', '-map', '1:a:0', '-map', '0:a:0', '-c:v', 'copy',
    // An already encoded dub (.m4a, made while the mix was verified) is copied; a WAV is encoded here.
    ...(/\.m4a$/i.test(dubAudio) ? ['-c:a:0', 'copy'] : ['-c:a:0', 'aac', '-aac_coder', 'fast', '-b:a:0', '192k']), '-c:a:1', 'copy',
    '-metadata:s:a:0', `language=${tgtLang}`, '-metadata:s:a:1', `language=${srcLang}`,
    '-disposition:a:0', 'default', '-disposition:a:1', '0', '-movflags', '+faststart', '-f', 'mp4', output,
  ];
}

/**
 * chunk_NNN.ts for the HLS playlist: video and dub, timestamps continuing from the chunk's place in the source.
 * Negative times (B-frames decode ahead, AAC priming) are kept, not shifted: shifting only the first segment
 * (the only one whose times go below zero) would put every later segment two frames early on the playlist.
 */
export function segmentArgv(chunkMp4: string, startSec: number, output: string): string[] {
  return [...base, '-i', chunkMp4, '-map', '0:v:0', '-map', '0:a:0', '-c', 'copy', '-output_ts_offset', sec(startSec), '-avoid_negative_ts', 'disabled', '-f', 'mpegts', output];
}

/**
 * The stitch: every chunk's MP4 by stream copy, at the offsets the ffconcat list gives. -copyts keeps those
 * times as they are: the concat input starts at the AAC priming packet (before zero), and subtracting that start
 * would move the picture 21 ms off the source's frame times and make the priming sound part of the dub.
 */
export function concatArgv(listFile: string, output: string): string[] {
  return [...base, '-copyts', '-f', 'concat', '-safe', '0', '-i', listFile, '-map', '0', '-c', 'copy', '-movflags', '+faststart', '-f', 'mp4', output];
}

/** A line of an ffconcat list, quoted the way the concat demuxer reads it. */
export function concatEntry(absPath: string): string {
  return `file '${absPath.replace(/'/g, "'\\''")}'`;
}

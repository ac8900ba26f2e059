// ffmpeg argv for streaming: cutting chunks, per-chunk containers, HLS segments, the stitch.

const base = ['ffmpeg', '-nostdin', '-v', 'error', '-y'];

/** Packets of the first video stream with their flags: keyframes are the ones flagged K (no decoding needed). */
export function keyframesArgv(input: string): string[] {
  return ['ffprobe', '-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time,flags', '-of', 'csv=p=0', input];
}

export function parseKeyframes(csv: string): number[] {
  return csv.split('\n')
    .map((row) => row.trim().split(','))
    .filter(([t, flags]) => t && t !== 'N/A' && flags?.includes('K'))
    .map(([t]) => Number(t))
    .sort((a, b) => a - b);
}

/** The chunk's own video (and original audio): copied when it starts and ends on keyframes, else re-encoded. */
export function cutVideoArgv(input: string, start: number, duration: number, copy: boolean, output: string): string[] {
  const video = copy ? ['-c:v', 'copy'] : ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '20', '-pix_fmt', 'yuv420p'];
  return [...base, '-ss', start.toFixed(3), '-i', input, '-t', duration.toFixed(3), '-map', '0:v:0', '-map', '0:a:0', ...video, '-c:a', 'aac', '-b:a', '192k', '-avoid_negative_ts', 'make_zero', '-f', 'mp4', output];
}

export function cutAudioArgv(input: string, start: number, duration: number, rate: number, channels: number, output: string): string[] {
  return [...base, '-ss', start.toFixed(3), '-i', input, '-t', duration.toFixed(3), '-map', '0:a:0', '-vn', '-ac', String(channels), '-ar', String(rate), '-c:a', 'pcm_s16le', '-f', 'wav', output];
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

/** chunk_NNN.ts for the HLS playlist: video and dub, timestamps continuing from the chunk's place in the source. */
export function segmentArgv(chunkMp4: string, startSec: number, output: string): string[] {
  return [...base, '-i', chunkMp4, '-map', '0:v:0', '-map', '0:a:0', '-c', 'copy', '-output_ts_offset', startSec.toFixed(3), '-f', 'mpegts', output];
}

export function concatArgv(listFile: string, output: string): string[] {
  return [...base, '-f', 'concat', '-safe', '0', '-i', listFile, '-map', '0', '-c', 'copy', '-movflags', '+faststart', '-f', 'mp4', output];
}

/** A line of an ffconcat list, quoted the way the concat demuxer reads it. */
export function concatEntry(absPath: string): string {
  return `file '${absPath.replace(/'/g, "'\\''")}'`;
}

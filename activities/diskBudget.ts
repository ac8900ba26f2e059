// Disk a job will need, estimated from the probed input before anything is written: a 10-hour input that is
// mostly silence is a few MB, but its extracted tracks, clips and mixes are gigabytes. Refused early, with the
// numbers, when the output root's disk cannot hold it and still keep the worker's reserve.
import { statfs } from 'node:fs/promises';
import type { MediaInfo } from '../lib/job.js';
import { ErrorType, failure } from '../lib/errors.js';

/**
 * Bytes written per second of input: the 48 kHz stereo track (192 kB/s), the 16 kHz analysis track (32 kB/s),
 * synthesized clips and their fitted copies (~100 kB/s of speech), the assembled dub, the mix and the encoded
 * dub (3 × 192 kB/s) — rounded up.
 */
export const BYTES_PER_INPUT_SECOND = 1_000_000;

/** The estimate: per second of input, plus the two muxed outputs, each about the input's own size. */
export function estimatedJobBytes(media: Pick<MediaInfo, 'durationSec'>, inputBytes: number): number {
  return Math.ceil(media.durationSec * BYTES_PER_INPUT_SECOND + 2 * inputBytes);
}

const gb = (n: number) => `${(n / 1e9).toFixed(n < 1e10 ? 1 : 0)} GB`;

export async function assertDiskFits(root: string, media: Pick<MediaInfo, 'durationSec' | 'path'>, inputBytes: number, reserveGb: number): Promise<void> {
  const need = estimatedJobBytes(media, inputBytes);
  const fs = await statfs(root).catch(() => undefined);
  if (!fs) return; // a file system that cannot say: nothing to compare with
  const free = fs.bavail * fs.bsize;
  const reserve = reserveGb * 1e9;
  if (free - need < reserve) {
    throw failure(ErrorType.OutputNotWritable, `this ${(media.durationSec / 3600).toFixed(1)} h input needs about ${gb(need)} in the output folder; its disk has ${gb(free)} free and the worker keeps ${gb(reserve)} in reserve (DUB_DISK_RESERVE_GB): free space or dub a shorter input`);
  }
}

// One temp-name convention for every file this code writes whole (a temp name, then a rename into place):
// `.<name>.<writer>.part<ext>` beside the file. Hidden (a leading dot: never taken for an output), named after the
// file it becomes, the writer in it (an activity's id and attempt, or a process id and a random part: two writers
// never share one), and the file's own extension kept last (ffmpeg picks the format by it). The s3 mirror keeps
// such names on their host (isTempName); an ordinary name such as `Show.part.2.mkv` is mirrored like any other.
import { randomBytes } from 'node:crypto';
import path from 'node:path';

/** A writer that is this process, told apart from its other writes by a random part. */
export function processWriter(): string {
  return `p${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** The temp name `file` is written under by `writer` (default: this process, fresh each call). */
export function tempName(file: string, writer = processWriter()): string {
  const ext = path.extname(file);
  return path.join(path.dirname(file), `.${path.basename(file, ext)}.${writer.replace(/[^\w-]/g, '_')}.part${ext}`);
}

const TEMP_NAME = /^\..+\.[\w-]+\.part(?:\.[^.]*)?$/;
/**
 * Names earlier releases gave half-made files (`<name>.<pid>[.<random>].part`, `review.json.part`, the folder
 * lock's `.lock.<pid>.<random>`): still kept off the mirror when one is left over from before an upgrade.
 */
const EARLIER_TEMP_NAME = /^(?:.+\.\d+(?:\.[a-z0-9]{1,8})?\.part|review\.json\.part|\.lock\.\d+\..+)$/;

/** Whether a file name (no folder) is a half-made file's. */
export function isTempName(base: string): boolean {
  return TEMP_NAME.test(base) || EARLIER_TEMP_NAME.test(base);
}

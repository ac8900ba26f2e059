// Which folders programs are looked up in. An empty or relative PATH entry means "the current folder", so a
// worker, `doctor` or `server start` run in a downloaded folder would start a planted ./ffmpeg or ./temporal:
// programs are looked up in absolute folders only. Pure (the caller passes PATH in).
import path from 'node:path';

export function absoluteSearchPath(value: string): string {
  return value.split(path.delimiter).filter((d) => path.isAbsolute(d)).join(path.delimiter);
}

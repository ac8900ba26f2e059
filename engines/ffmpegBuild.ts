// Which ffmpeg the pipeline runs. scripts/setup.sh installs FFmpeg 5.1 as bytedeco builds it for JavaCPP (Maven
// Central) into .tools/ffmpeg: the release line of Debian's ffmpeg 5.1, but linked to its own few libraries. Debian's
// links 215 and binds every symbol at start, so a short run (trim a clip, fit it, probe a file) cost ~0.12 CPU-s,
// most of it start-up; the bundled build does it in ~0.03 (docs/PERFORMANCE.md), and a dub runs ffmpeg a few times
// per batch of lines. Every program we start looks in that folder first (engines/run.ts); with no such folder, or
// ENGINE_FFMPEG=system, it is the system's ffmpeg, as before. The build has no librubberband, so a fit that
// stretches time asks for an ffmpeg that has it (`bestStretch` in activities/fit.ts).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSettings } from '../config/load.js';
import { absoluteSearchPath } from './searchPath.js';

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Where scripts/setup.sh links the build (its ffmpeg and ffprobe, and their libraries beside them). */
export const BUNDLED_FFMPEG_DIR = path.join(PROJECT_ROOT, '.tools', 'ffmpeg');

let useBundled: boolean | undefined;
/**
 * Whether programs get the bundled build: setup installed it and the worker's `engines.ffmpeg` (ENGINE_FFMPEG) is
 * not "system". Read once: a worker's programs do not change under it.
 */
export function bundledFfmpeg(): boolean {
  if (useBundled === undefined) {
    let choice = 'bundled';
    try { choice = loadSettings().engines.ffmpeg; } catch { /* a bad settings file is reported where settings are used */ }
    useBundled = choice === 'bundled' && existsSync(path.join(BUNDLED_FFMPEG_DIR, 'ffmpeg'));
  }
  return useBundled;
}

/** The PATH programs are started with: absolute folders only, the bundled ffmpeg's first when it is installed. */
export function programSearchPath(envPath: string): string {
  const dirs = absoluteSearchPath(envPath);
  return bundledFfmpeg() ? [BUNDLED_FFMPEG_DIR, dirs].filter(Boolean).join(path.delimiter) : dirs;
}

/** The system's ffmpeg folders: PATH without the bundled build (where an ffmpeg with rubberband is looked for). */
export function systemSearchPath(envPath: string): string {
  return absoluteSearchPath(envPath).split(path.delimiter).filter((d) => d && path.resolve(d) !== BUNDLED_FFMPEG_DIR).join(path.delimiter);
}

/**
 * The system's ffmpeg as an absolute path ('ffmpeg' where none is found): for files that must be the same whichever
 * build the pipeline runs (the test fixtures and demo clips: AAC from 5.1.2 and from Debian's 5.1.9 differ a little).
 */
export function systemFfmpeg(): string {
  for (const dir of systemSearchPath(process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    if (existsSync(path.join(dir, 'ffmpeg'))) return path.join(dir, 'ffmpeg');
  }
  return 'ffmpeg';
}

// The ffmpeg the pipeline runs (engines/ffmpegBuild.ts): the build scripts/setup.sh puts in .tools/ffmpeg comes
// first on every program's PATH, and fits that stretch time still get rubberband from the system's ffmpeg.
import { describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { bestStretch } from '../../activities/fit.js';
import { clipJobsArgv } from '../../engines/ffmpeg.js';
import { BUNDLED_FFMPEG_DIR, bundledFfmpeg, programSearchPath, systemFfmpeg, systemSearchPath } from '../../engines/ffmpegBuild.js';
import { run } from '../../engines/run.js';
import { stretchFilters } from '../../engines/timeStretch.js';
import { wavFileDuration } from '../../engines/wavFile.js';
import { tempDir } from '../support/jobs.js';

describe('the bundled ffmpeg build', () => {
  it('is installed by setup and found first, ffprobe too; the rest of PATH keeps its order, relative folders dropped', async () => {
    expect(bundledFfmpeg()).toBe(true);
    expect((await run(['ffmpeg', '-hide_banner', '-version'])).stdout).toMatch(/^ffmpeg version 5\.1\.2 /);
    expect((await run(['ffprobe', '-hide_banner', '-version'])).stdout).toMatch(/^ffprobe version 5\.1\.2 /);
    expect(programSearchPath('/usr/bin:.:/bin')).toBe([BUNDLED_FFMPEG_DIR, '/usr/bin', '/bin'].join(path.delimiter));
    expect(systemSearchPath(`${BUNDLED_FFMPEG_DIR}:/usr/bin`)).toBe('/usr/bin');
    // What the fixtures are encoded with: the system's, whichever build the pipeline runs.
    expect(path.isAbsolute(systemFfmpeg()) && !systemFfmpeg().startsWith(BUNDLED_FFMPEG_DIR)).toBe(true);
  });

  it('stretches with rubberband from the system ffmpeg (the build has none), and that run fits the clip', async () => {
    const stretch = await bestStretch();
    expect(stretch.filter).toBe('rubberband');
    expect(path.isAbsolute(stretch.ffmpeg) && !stretch.ffmpeg.startsWith(BUNDLED_FFMPEG_DIR) && existsSync(stretch.ffmpeg)).toBe(true);

    const dir = await tempDir('ffmpeg-build');
    const input = path.join(dir, 'line.wav');
    await run(['ffmpeg', '-nostdin', '-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=220:duration=2', '-ar', '48000', input]);
    const output = path.join(dir, 'fitted.wav');
    await run(clipJobsArgv([{ input, filters: [...stretchFilters(1.25, 'rubberband'), 'atrim=end=1.6'], output }], stretch.ffmpeg));
    expect(await wavFileDuration(output)).toBeCloseTo(1.6, 2);
  });
});

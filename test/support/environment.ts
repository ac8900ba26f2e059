// The jest environment of every suite: Node's, plus
// - the worker's own Temporal dev server, started before the worker's first suite that needs one
//   (testEnvironmentOptions.temporal, true for every suite outside test/unit: see jest.config.js);
// - TEMPORAL_ADDRESS pointing at it for anything the suite starts without naming an address;
// - the suite's wall and CPU time (this process and the children it waited for: worker processes, engines,
//   ffmpeg; not the shared dev server) appended to test/.cache/suite-times.jsonl, for scripts/test.sh's
//   table and for spreading CPU-heavy suites (test/support/sequencer.ts).
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { EnvironmentContext, JestEnvironmentConfig } from '@jest/environment';
import { TestEnvironment } from 'jest-environment-node';
import { PROJECT_ROOT, TEST_ADDRESS, TEST_CACHE, TEST_SERVER_PORT, TEST_WORKER } from './env.js';
import { ensureTestServer } from './testServer.js';

/** CPU seconds of this process and its reaped children (utime, stime, cutime, cstime in /proc/self/stat). */
function cpuSeconds(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /, '').split(' ');
  const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
  return ticks / 100; // USER_HZ is 100 on Linux
}

export default class AnimeDubEnvironment extends TestEnvironment {
  private readonly needsServer: boolean;
  private readonly testPath: string;
  private started = { wall: 0, cpu: 0 };

  constructor(config: JestEnvironmentConfig, context: EnvironmentContext) {
    // Before super(): the sandbox's process.env is a copy of ours taken there.
    process.env.TEMPORAL_ADDRESS = TEST_ADDRESS;
    super(config, context);
    this.needsServer = config.projectConfig.testEnvironmentOptions?.temporal === true;
    this.testPath = context.testPath;
  }

  override async setup(): Promise<void> {
    await super.setup();
    if (this.needsServer) await ensureTestServer(TEST_SERVER_PORT);
    this.started = { wall: Date.now(), cpu: cpuSeconds() };
  }

  override async teardown(): Promise<void> {
    const record = {
      suite: path.relative(path.join(PROJECT_ROOT, 'dist'), this.testPath),
      wallSec: Math.round((Date.now() - this.started.wall) / 100) / 10,
      cpuSec: Math.round((cpuSeconds() - this.started.cpu) * 10) / 10,
      worker: TEST_WORKER,
      at: new Date().toISOString(),
    };
    try {
      mkdirSync(TEST_CACHE, { recursive: true });
      appendFileSync(path.join(TEST_CACHE, 'suite-times.jsonl'), `${JSON.stringify(record)}\n`);
      // scripts/test.sh's table of this run alone.
      const run = process.env.ANIME_DUB_SUITE_TIMES_RUN;
      if (run) appendFileSync(run, `${JSON.stringify(record)}\n`);
    } catch { /* the record is a measurement, never a failure */ }
    await super.teardown();
  }
}

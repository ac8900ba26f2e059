// The order jest hands suites to its workers: longest first (the run ends when the longest chain does), but
// never two CPU-heavy suites side by side while a waiting one is left (2 cores: two engines at once starve the
// suites that only wait on Temporal, and stretch both). Times come from test/suite-times.json (committed,
// measured by scripts/test.sh) and from this checkout's own latest runs (test/.cache/suite-times.jsonl).
// A suite with no record counts as a 60 s waiting one (a unit suite as 2 s).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Test } from '@jest/test-result';
import { createRequire } from 'node:module';
import { PROJECT_ROOT, TEST_CACHE } from './env.js';

// The default sequencer (jest's, CommonJS) for its cache of failures and durations.
const { default: Sequencer } = createRequire(import.meta.url)('@jest/test-sequencer') as typeof import('@jest/test-sequencer');

/**
 * cpuSec: the jest process and the children it waited for, measured in every run. treeCpuSec/treeCpuBy: the whole
 * process tree (orphaned engines and the dev server too) and where it went, measured with the suite run alone by
 * `python3 scripts/suite_cpu.py` (docs/TESTING.md), kept in the committed file.
 */
export interface SuiteTime { wallSec: number; cpuSec: number; treeCpuSec?: number; treeCpuBy?: Record<string, number>; treeMeasuredAt?: string }

/**
 * CPU-heavy: at least 60 CPU-seconds, or busy at least 70 % of its wall time and long enough to matter. The
 * absolute figure still holds on a loaded machine, where every suite waits for a core and the ratio drops.
 */
export const isHeavy = (t: SuiteTime) => {
  const cpu = Math.max(t.cpuSec, t.treeCpuSec ?? 0);
  return cpu >= 60 || (t.wallSec >= 20 && cpu >= 0.7 * t.wallSec);
};

export function suiteTimes(): Map<string, SuiteTime> {
  const times = new Map<string, SuiteTime>();
  const committed = path.join(PROJECT_ROOT, 'test', 'suite-times.json');
  if (existsSync(committed)) {
    for (const [suite, t] of Object.entries(JSON.parse(readFileSync(committed, 'utf8')) as Record<string, SuiteTime>)) times.set(suite, t);
  }
  const local = path.join(TEST_CACHE, 'suite-times.jsonl');
  if (existsSync(local)) {
    for (const line of readFileSync(local, 'utf8').split('\n')) {
      try {
        const r = JSON.parse(line) as SuiteTime & { suite: string };
        times.set(r.suite, { ...times.get(r.suite), wallSec: r.wallSec, cpuSec: r.cpuSec });
      } catch { /* a partial line */ }
    }
  }
  return times;
}

export function suiteName(testPath: string): string {
  return path.relative(path.join(PROJECT_ROOT, 'dist'), testPath);
}

/** Simulates `workers` workers taking suites longest-first, holding back a heavy one while another runs. */
export function plan<T>(items: { item: T; time: SuiteTime }[], workers: number): T[] {
  const left = [...items].sort((a, b) => b.time.wallSec - a.time.wallSec);
  const running: { until: number; heavy: boolean }[] = [];
  const order: T[] = [];
  let now = 0;
  while (left.length) {
    if (running.length >= workers) {
      running.sort((a, b) => a.until - b.until);
      now = running.shift()!.until;
    }
    const heavyNow = running.filter((r) => r.heavy && r.until > now).length;
    const i = heavyNow > 0 ? Math.max(0, left.findIndex((x) => !isHeavy(x.time))) : 0;
    const [next] = left.splice(i, 1);
    order.push(next.item);
    running.push({ until: now + next.time.wallSec, heavy: isHeavy(next.time) });
  }
  return order;
}

export default class SpreadSequencer extends Sequencer {
  override sort(tests: Array<Test>): Array<Test> {
    const times = suiteTimes();
    // The same count as jest.config.js (maxWorkers): a plan for three left one of the two workers idle at the end.
    const workers = Math.max(1, tests[0]?.context.config ? Number(process.env.ANIME_DUB_TEST_WORKERS) || 2 : 1);
    return plan(tests.map((test) => {
      const suite = suiteName(test.path);
      return { item: test, time: times.get(suite) ?? { wallSec: suite.startsWith('test/unit/') ? 2 : 60, cpuSec: 0 } };
    }), workers);
  }
}

// `node dist/test/support/sequencer.js --write`: test/suite-times.json from this checkout's latest record of each
// suite (run scripts/test.sh on a quiet machine first), for clean checkouts (CI) to order suites by.
if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === '--write') {
  const out = path.join(PROJECT_ROOT, 'test', 'suite-times.json');
  const times = Object.fromEntries([...suiteTimes()].sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(out, `${JSON.stringify(times, null, 1)}\n`);
  console.log(`${out}: ${Object.keys(times).length} suites`);
}

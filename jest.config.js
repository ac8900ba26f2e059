// Tests are compiled by `tsc` with the rest of the project and run as native ESM (no transform):
// execa 9 is ESM-only, and running the same JavaScript the CLI runs keeps tests honest.
//
// Suites run in parallel jest workers (ANIME_DUB_TEST_WORKERS, default 2 on this 2-core machine: a third worker
// kept the cores as busy but made every suite dearer, 2084 against 1830 CPU-s a run: docs/TESTING.md). Each worker has its own Temporal dev server (test/support/env.ts),
// started on first use; suites use their own task queues (queuesFor/withWorker with a prefix per suite).
// Two projects: `unit` needs no server (never starts one); `server` is every other folder.
const common = {
  rootDir: 'dist',
  testMatch: ['<rootDir>/test/**/*.test.js'],
  transform: {},
  testEnvironment: '<rootDir>/test/support/environment.js',
};
// globalsCleanup off: jest 30's soft cleanup wraps leaked globals' setters again after every suite in a worker,
// until a setter chain overflows the stack (seen once in a parallel run).
const options = (temporal) => ({ temporal, globalsCleanup: 'off' });

export default {
  maxWorkers: Number(process.env.ANIME_DUB_TEST_WORKERS) || 2,
  testTimeout: 180_000, // a global option: a project's own is ignored
  testSequencer: '<rootDir>/dist/test/support/sequencer.js',
  // One temp folder per run (TMPDIR for every process of the run), removed at its end: test/support/tempRoot.ts.
  globalSetup: '<rootDir>/dist/test/support/tempRootSetup.js',
  globalTeardown: '<rootDir>/dist/test/support/tempRootTeardown.js',
  projects: [
    { ...common, displayName: 'unit', testPathIgnorePatterns: ['/dist/test/(?!unit/)'], testEnvironmentOptions: options(false) },
    {
      ...common,
      displayName: 'server',
      testPathIgnorePatterns: ['/dist/test/unit/'],
      testEnvironmentOptions: options(true),
      globalSetup: '<rootDir>/test/support/globalSetup.js',
      globalTeardown: '<rootDir>/test/support/globalTeardown.js',
    },
  ],
};

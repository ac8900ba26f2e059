// Tests are compiled by `tsc` with the rest of the project and run as native ESM (no transform):
// execa 9 is ESM-only, and running the same JavaScript the CLI runs keeps tests honest.
export default {
  rootDir: 'dist',
  testMatch: ['<rootDir>/test/**/*.test.js'],
  transform: {},
  testEnvironment: 'node',
  globalSetup: '<rootDir>/test/support/globalSetup.js',
  globalTeardown: '<rootDir>/test/support/globalTeardown.js',
  testTimeout: 180_000,
  maxWorkers: 1,
};

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // TypeScript to CommonJS with esbuild, no type check here: `npm run build` checked the project (test/support/esbuild-transform.cjs).
  transform: { '^.+\\.m?ts$': '<rootDir>/test/support/esbuild-transform.cjs' },
  // The one ES module in TypeScript is imported by the name tsc emits it under (lambda/adapters/eks-connection.ts).
  moduleNameMapper: { '^\\./kubernetes-client\\.mjs$': '<rootDir>/lambda/adapters/kubernetes-client.mts' },
  setupFiles: ['<rootDir>/test/support/env.ts'],
  // One synthesized sample workflow per run, shared by every file (local/sample-workflow.ts).
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 30000,
  // Both cores: jest's default leaves one for its own process, which idles while the suites run.
  maxWorkers: 2,
  // Longest files first, also on a clean checkout with no durations recorded (test/support/sequencer.cjs).
  testSequencer: '<rootDir>/test/support/sequencer.cjs',
  // After jest's own: the size and pass count of the stops, the external edits and the races (test/support/evidence-reporter.cjs).
  reporters: ['default', '<rootDir>/test/support/evidence-reporter.cjs'],
};

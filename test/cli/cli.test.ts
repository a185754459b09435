/**
 * The operator CLI's modules (test/cli/*.cli.ts) in one jest file: they share one module registry,
 * so the SDK, the mocks (test/cli/cli-support.ts, made once) and the CLI load once. Each module runs
 * in a describe of its own name, so its hooks apply to its own tests only; one runs alone with `-t`:
 * `npm run jest -- test/cli -t '^observe.cli '`.
 */
describe('observe.cli', () => {
  require('./observe.cli');
});
describe('operate.cli', () => {
  require('./operate.cli');
});

/**
 * The sandbox's modules (test/sandbox/*.sandbox.ts) in one jest file: they share one module
 * registry, so the handlers, the AWS SDK clients, the Kubernetes client and the interpreter load
 * once for the scenarios and the routing modes, not once per file, and the fake Kubernetes API is
 * shut down once, after the last run. Each module runs in a describe of its own name, so its hooks
 * apply to its own tests only; one module runs alone with `-t`:
 * `npm run jest -- test/sandbox -t '^routing.sandbox '`.
 */
import { shutdownLocalEngines } from '../../local/local-engine';

afterAll(() => shutdownLocalEngines());

// The first run of the file loads every handler, beside the CLI's child process: allow for a loaded
// machine (a run cut short by a timeout would also hold the process-wide fakes from the next one).
jest.setTimeout(90_000);

// First: its beforeAll starts the real CLI in a child process, which runs beside the other modules.
describe('scenarios.sandbox', () => {
  require('./scenarios.sandbox');
});
describe('routing.sandbox', () => {
  require('./routing.sandbox');
});
describe('report.sandbox', () => {
  require('./report.sandbox');
});
describe('alarms.sandbox', () => {
  require('./alarms.sandbox');
});
describe('data-plane.sandbox', () => {
  require('./data-plane.sandbox');
});

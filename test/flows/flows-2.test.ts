/**
 * The flows of these modules in one jest file, as flows-1.test.ts (which says why) has the others.
 * The handler tests (test/handlers/) run here last: they run the same handlers in the same local
 * engine, so they load nothing these flows have not.
 */
// First: its hooks span every module (the sample synthesized before them, the fake Kubernetes API shut down after them).
import './flow-support';

// The first flow of a file compiles and loads every handler: allow for a loaded machine.
jest.setTimeout(90_000);

describe('routers.flow', () => {
  require('./routers.flow');
});
describe('inflight.flow', () => {
  require('./inflight.flow');
});
describe('edits.flow', () => {
  require('./edits.flow');
});
describe('gates.flow', () => {
  require('./gates.flow');
});
describe('handlers.handler', () => {
  require('../handlers/handlers.handler');
});

/**
 * The flows of these modules in one jest file (flows-2.test.ts has the others): they share one
 * module registry, so the AWS SDK clients, the Kubernetes client, the interpreter, the schemas and
 * the handlers load once for all of them, not once per module. Each module runs in a describe of
 * its own name, so its beforeAll, afterAll and afterEach apply to its own tests only; a module that
 * runs a variant of the sample gets it from `useWorkflow`, never for the others. The two files are
 * balanced by duration, so both workers stay busy (test/support/sequencer.cjs has their estimates).
 */
// First: its hooks span every module (the sample synthesized before them, the fake Kubernetes API shut down after them).
import './flow-support';

// The first flow of a file compiles and loads every handler: allow for a loaded machine.
jest.setTimeout(90_000);

describe('stop.flow', () => {
  require('./stop.flow');
});
describe('guards.flow', () => {
  require('./guards.flow');
});
describe('races.flow', () => {
  require('./races.flow');
});
describe('rollout.flow', () => {
  require('./rollout.flow');
});
describe('tester-route.flow', () => {
  require('./tester-route.flow');
});
describe('gradual-rollback.flow', () => {
  require('./gradual-rollback.flow');
});
describe('release-train.flow', () => {
  require('./release-train.flow');
});

/**
 * The infra modules in one jest file (infra-2.test.ts has the others): they share one module
 * registry, so aws-cdk-lib loads once for all of them, not once per module. Each module runs in a
 * describe of its own name, so its hooks apply to its own tests only. A spy on a shared prototype
 * must be restored after its test, as the modules after it synthesize with the same aws-cdk-lib:
 * entry-points, right after nag, finds nag's findings unacknowledged if its spy on `Validations`
 * leaks. The two files are balanced by duration (test/support/sequencer.cjs).
 */
describe('nag.infra', () => {
  require('./nag.infra');
});
describe('entry-points.infra', () => {
  require('./entry-points.infra');
});
describe('definition.infra', () => {
  require('./definition.infra');
});
describe('routing-istio.infra', () => {
  require('./routing-istio.infra');
});

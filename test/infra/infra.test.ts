/**
 * The infra modules in one jest file: they share one module registry, so aws-cdk-lib (and cdk-nag,
 * and the first synth's warm-up) load once for all of them, and the stacks test/support/synth.ts
 * shares (the sample) are synthesized once. Each module runs in a describe of its own name, so its
 * hooks apply to its own tests only. A spy on a shared prototype must be restored after its test,
 * as the modules after it synthesize with the same aws-cdk-lib: entry-points, right after nag,
 * finds nag's findings unacknowledged if its spy on `Validations` leaks.
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
describe('managed-alarms.infra', () => {
  require('./managed-alarms.infra');
});
describe('engine.infra', () => {
  require('./engine.infra');
});
describe('routing-extras.infra', () => {
  require('./routing-extras.infra');
});
describe('canary-rollout.infra', () => {
  require('./canary-rollout.infra');
});
describe('canary-rollout-validation.infra', () => {
  require('./canary-rollout-validation.infra');
});
describe('iam.infra', () => {
  require('./iam.infra');
});
describe('routing-ingress.infra', () => {
  require('./routing-ingress.infra');
});
describe('routing-replica-ratio.infra', () => {
  require('./routing-replica-ratio.infra');
});
describe('check-health-input.infra', () => {
  require('./check-health-input.infra');
});
describe('shared-stack.infra', () => {
  require('./shared-stack.infra');
});

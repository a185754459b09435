/**
 * The infra modules in one jest file, as infra-1.test.ts (which says why) has the others.
 */
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

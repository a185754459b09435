/**
 * The unit modules (test/unit/*.unit.ts, test/unit/use-cases/*.unit.ts) in one jest file: they share
 * one module registry, so zod, the schemas and the domain load once, not once per module (about
 * half the suite's CPU). Each module runs in a describe of its own name, so its hooks apply to its
 * own tests only; one module runs alone with `-t`: `npm run jest -- test/unit -t '^planner.unit '`.
 * The bad-input corpus (test/corpus/) runs here too: it drives the Validate use-case, as the
 * use-case modules do.
 */
describe('bench-metrics.unit', () => {
  require('./bench-metrics.unit');
});
describe('evidence-sizes.unit', () => {
  require('./evidence-sizes.unit');
});
describe('failure.unit', () => {
  require('./failure.unit');
});
describe('health.unit', () => {
  require('./health.unit');
});
describe('ingress-actions.unit', () => {
  require('./ingress-actions.unit');
});
describe('input-schema.unit', () => {
  require('./input-schema.unit');
});
describe('istio-routes.unit', () => {
  require('./istio-routes.unit');
});
describe('naming.unit', () => {
  require('./naming.unit');
});
describe('next-shift.unit', () => {
  require('./next-shift.unit');
});
describe('planner.property.unit', () => {
  require('./planner.property.unit');
});
describe('planner.unit', () => {
  require('./planner.unit');
});
describe('replica-ratio.unit', () => {
  require('./replica-ratio.unit');
});
describe('rollback.unit', () => {
  require('./rollback.unit');
});
describe('rollout-status.unit', () => {
  require('./rollout-status.unit');
});
describe('smoke.unit', () => {
  require('./smoke.unit');
});
describe('strategy.unit', () => {
  require('./strategy.unit');
});
describe('test-order.unit', () => {
  require('./test-order.unit');
});
describe('weights.unit', () => {
  require('./weights.unit');
});
describe('windows.unit', () => {
  require('./windows.unit');
});
describe('fail-safe.unit', () => {
  require('./use-cases/fail-safe.unit');
});
describe('gradual-rollback.unit', () => {
  require('./use-cases/gradual-rollback.unit');
});
describe('notifications.unit', () => {
  require('./use-cases/notifications.unit');
});
describe('bad-input.corpus', () => {
  require('../corpus/bad-input.corpus');
});

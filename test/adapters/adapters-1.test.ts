/**
 * Adapter modules (test/adapters/*.adapter.ts) in one jest file: they share one module registry, so
 * the SDK, the mocks and the fakes load once for all of them, not once per module. Each module runs
 * in a describe of its own name, so its hooks apply to its own tests only; one runs alone with `-t`:
 * `npm run jest -- test/adapters/adapters-1.test.ts -t '^step-functions.adapter '`.
 *
 * A module mocks its SDK clients (aws-sdk-client-mock) for the whole file, and a client class is
 * mocked once per file: the modules of one file mock different clients, but for EKS, whose one stub
 * the modules that reach a cluster share (test/support/eks-mock.ts). These mock CloudWatch,
 * DynamoDB, EKS, ELBv2, EventBridge, SNS, Scheduler, SSM and Step Functions, one module each;
 * adapters-2.test.ts has the routers and the tester route.
 */
describe('cloudwatch-health-signals.adapter', () => {
  require('./cloudwatch-health-signals.adapter');
});
describe('dynamodb-rollout-store.adapter', () => {
  require('./dynamodb-rollout-store.adapter');
});
describe('eks-token.adapter', () => {
  require('./eks-token.adapter');
});
describe('eks-workloads.adapter', () => {
  require('./eks-workloads.adapter');
});
describe('elbv2-traffic-router.adapter', () => {
  require('./elbv2-traffic-router.adapter');
});
describe('notifications.adapter', () => {
  require('./notifications.adapter');
});
describe('scheduler-bake-timer.adapter', () => {
  require('./scheduler-bake-timer.adapter');
});
describe('ssm-image-parameters.adapter', () => {
  require('./ssm-image-parameters.adapter');
});
describe('step-functions.adapter', () => {
  require('./step-functions.adapter');
});

/**
 * The configuration the tests, the flows and the `npm start` sandbox synthesize: a made-up
 * `checkout` service. Not cdk.json's: editing cdk.json to point at your own service changes what
 * `cdk deploy` deploys, never what the tests check. The feature flags do come from cdk.json, so
 * the tests see the CDK behaviour `cdk synth` sees.
 */
import type { SampleConfig } from '../bin/serinus';

export const FIXTURE_CONFIG: SampleConfig = {
  account: '123456789012',
  region: 'eu-west-1',
  serviceName: 'checkout',
  listenerArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2',
  stableTargetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/checkout/73e2d6bc24d8a067',
  canaryTargetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/checkout-canary/2b8f5c1d9a3e4f60',
  clusterName: 'shop',
  namespace: 'checkout',
  stableDeployment: 'checkout',
  canaryDeployment: 'checkout-canary',
  containers: ['app'],
  alarmNames: ['checkout-availability'],
  strategy: 'Canary10Percent5Minutes',
  managedAlarms: {
    errorRateThresholdPercent: 5,
    minimumRequests: 20,
    p99LatencyMilliseconds: 1500,
    compareWithStable: true,
  },
};

/**
 * cdk.json's context (feature flags) with the fixture in place of the sample's configuration. The
 * in-process synths record no construct or annotation stack traces: nothing here reads them, and
 * capturing one per resource (through jest's source-mapped stack formatting) was about 3 s of CPU
 * in every test run.
 */
export function fixtureContext(config: SampleConfig = FIXTURE_CONFIG): Record<string, unknown> {
  // Required here, not at the top: the fixture alone loads no aws-cdk-lib (bin/serinus.ts does).
  const { SAMPLE_CONTEXT_KEY, cdkJsonContext } = require('../bin/serinus') as typeof import('../bin/serinus');
  return { ...cdkJsonContext(), ...NO_STACK_TRACES, [SAMPLE_CONTEXT_KEY]: config };
}

/** aws-cdk-lib's context keys (cx-api `DISABLE_CREATION_STACK_TRACES`, `DISABLE_METADATA_STACK_TRACE`). */
const NO_STACK_TRACES = {
  'aws:cdk:disable-creation-stack-traces': true,
  'aws:cdk:disable-stack-trace': true,
};

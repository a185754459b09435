/**
 * The ALB tester route in whole executions: a rule target with `testerHeader` gets its header rule
 * at Lock, keeps it through the rollout, and loses it on promotion, on an alarm's rollback and on a
 * stop's cleanup. A router with no tester route is refused before anything is touched.
 */
import type { TargetConfig } from '../../lambda/domain/types';
import { TESTER_ROUTE_TAG } from '../../lambda/adapters/alb-target';
import { CANDIDATE, holdBake, startFlow, type Flow } from './flow-support';

const ACCOUNT_REGION = 'eu-west-1:123456789012';
const LISTENER = `arn:aws:elasticloadbalancing:${ACCOUNT_REGION}:listener/app/tester/1a2b3c4d5e6f7a8b/9c8d7e6f5a4b3c2d`;
const RULE = `arn:aws:elasticloadbalancing:${ACCOUNT_REGION}:listener-rule/app/tester/1a2b3c4d5e6f7a8b/9c8d7e6f5a4b3c2d/0123456789abcdef`;
const HEADER = { name: 'x-canary', value: 'always' };
const PLAN = [{ weight: 20, bakeSeconds: 60 }, { weight: 100, bakeSeconds: 60 }];

let flow: Flow;
let target: TargetConfig;

beforeAll(async () => {
  flow = await startFlow();
  const sample = flow.engine.target;
  target = {
    ...sample,
    service: 'tester',
    traffic: {
      kind: 'alb',
      key: RULE,
      listenerArn: LISTENER,
      ruleArn: RULE,
      stableTargetGroupArn: `arn:aws:elasticloadbalancing:${ACCOUNT_REGION}:targetgroup/tester/aaaaaaaaaaaaaaaa`,
      canaryTargetGroupArn: `arn:aws:elasticloadbalancing:${ACCOUNT_REGION}:targetgroup/tester-canary/bbbbbbbbbbbbbbbb`,
      testerHeader: HEADER,
    },
    workload: { ...sample.workload, namespace: 'tester', stableDeployment: 'web', canaryDeployment: 'web-canary' },
  };
  flow.engine.addTarget(target);
}, 120_000);

afterAll(async () => {
  await flow?.close();
});

const testerRules = () => flow.engine.aws.elbv2.listenerRules(LISTENER).filter((rule) => rule.tags[TESTER_ROUTE_TAG] === RULE);

function start(name: string) {
  return flow.engine.start({ image: CANDIDATE, steps: PLAN }, name, flow.engine.workflowFor(target));
}

/** After every execution: the steered rule is back on stable, and no lock is left. */
function expectTargetReleased(): void {
  expect(flow.engine.aws.elbv2.weights(RULE)).toEqual({ [target.traffic.stableTargetGroupArn as string]: 100, [target.traffic.canaryTargetGroupArn as string]: 0 });
  expect(flow.engine.aws.dynamodb.items('serinus-rollouts')).toEqual([]);
}

it('opens the rule at Lock, before the steered rule and with its conditions plus the header, and removes it at Finish', async () => {
  // Prepare
  const afterLock = flow.engine.holdInvocation({ handler: 'deploy-canary', at: 'start' });
  const atFinish = flow.engine.holdInvocation({ handler: 'finish', at: 'start' });
  const execution = start('tester-promote');

  // Act
  await afterLock.reached;
  const openAfterLock = testerRules();
  afterLock.release();
  await atFinish.reached;
  const openAtFinish = testerRules();
  atFinish.release();
  const outcome = await execution.outcome;

  // Assess
  expect(outcome.status).toBe('SUCCEEDED');
  expect(openAfterLock).toEqual([
    expect.objectContaining({
      priority: 9,
      conditions: [{ Field: 'path-pattern', Values: ['/*'] }, { Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'x-canary', Values: ['always'] } }],
    }),
  ]);
  expect(openAtFinish.map((rule) => rule.arn)).toEqual(openAfterLock.map((rule) => rule.arn));
  expect(testerRules()).toEqual([]);
  expectTargetReleased();
});

it('removes the rule when an alarm rolls the rollout back', async () => {
  // Prepare
  const bake = holdBake(flow, 0);
  const execution = start('tester-alarm');
  await bake.running;
  expect(testerRules()).toHaveLength(1);

  // Act
  await flow.engine.aws.cloudwatch.setState(target.alarmNames[0]!, 'ALARM', 'canary failing');
  const outcome = await execution.outcome;
  await flow.engine.aws.cloudwatch.setState(target.alarmNames[0]!, 'OK', 'recovered', { emitEvent: false });
  bake.release();
  await flow.engine.idle();

  // Assess
  expect(outcome).toMatchObject({ status: 'FAILED', error: 'CanaryUnhealthy' });
  expect(testerRules()).toEqual([]);
  expectTargetReleased();
});

it('removes the rule when the execution is stopped (cleanup)', async () => {
  // Prepare
  const bake = holdBake(flow, 0);
  const execution = start('tester-stop');
  await bake.running;
  expect(testerRules()).toHaveLength(1);

  // Act
  execution.abort();
  const outcome = await execution.outcome;
  bake.release();
  await flow.engine.passFence();

  // Assess
  expect(outcome).toMatchObject({ status: 'ABORTED', cleanup: expect.anything() });
  expect(testerRules()).toEqual([]);
  expectTargetReleased();
});

it('refuses at Validate a testerHeader on a router that has no tester route, touching nothing', async () => {
  // Prepare
  const { workload } = flow.engine.target;
  const replicaRatio: TargetConfig = {
    ...flow.engine.target,
    traffic: {
      kind: 'replica-ratio',
      key: `replica-ratio:${workload.clusterName}/${workload.namespace}/checkout`,
      clusterName: workload.clusterName,
      namespace: workload.namespace,
      stableDeployment: workload.stableDeployment,
      canaryDeployment: workload.canaryDeployment,
      serviceName: 'checkout',
      minReplicas: 1,
      testerHeader: HEADER,
    },
  };
  const callsBefore = flow.engine.aws.calls.filter((call) => call.mutating).length;

  // Act
  const outcome = await flow.engine.start({ image: CANDIDATE, steps: PLAN }, 'tester-replica-ratio', flow.engine.workflowFor(replicaRatio)).outcome;

  // Assess
  expect(outcome).toMatchObject({ status: 'FAILED', error: 'ValidationFailed' });
  expect(outcome.cause).toMatch(/testerHeader: the replica ratio has no tester route: every pod behind the Service takes its share of all requests/);
  expect(outcome.states).not.toContain('Lock');
  expect(flow.engine.aws.calls.filter((call) => call.mutating)).toHaveLength(callsBefore);
});

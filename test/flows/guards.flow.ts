/**
 * Guards that can fail: each guard has a flow in which the fakes produce its condition,
 * and the flow fails when the guard is deleted from lambda/.
 * - ShiftWeight's zero-healthy-targets gate: the canary's targets turn unhealthy right before the first shift.
 * - CheckCanaryReady's zero-healthy-targets gate: the canary's pods run but register unhealthy.
 * - The INSUFFICIENT_DATA policy at a bake's end.
 * - CheckHealth's drift check: drift during the last bake, where no later write would notice it.
 * (The bake-end recheck of the canary's healthy targets is the "made unhealthy" flow of edits.flow.ts.)
 */
import { CANDIDATE, STABLE, expectEndInvariants, holdBake, startFlow, type Flow } from './flow-support';
import { canaryHealthyTargets, canaryPodsFailHealthChecks, canaryTargetsUnhealthy, stableImage, steered } from './edits-support';
import { albTarget } from '../../lambda/adapters/alb-target';

const PLAN = [
  { weight: 10, bakeSeconds: 60 },
  { weight: 50, bakeSeconds: 60 },
];

let flow: Flow;

afterEach(async () => {
  await flow?.close();
});

const alarm = () => flow.engine.target.alarmNames[0]!;

it('ShiftWeight refuses to give weight to a canary whose targets all turned unhealthy', async () => {
  // Prepare: the canary became ready; its targets fail their health checks before the first shift.
  flow = await startFlow();
  const shift = flow.engine.holdInvocation({ state: 'ShiftWeight', at: 'start' });
  const execution = flow.engine.start({ image: CANDIDATE, steps: PLAN });
  await shift.reached;
  canaryTargetsUnhealthy(flow);
  expect(canaryHealthyTargets(flow)).toBe(0);

  // Act
  shift.release();
  const outcome = await execution.outcome;

  // Assess
  expect(outcome).toMatchObject({ status: 'FAILED', error: 'NoHealthyTargets' });
  expect(outcome.cause).toMatch(/^NoHealthyTargets: the canary has no healthy targets; refusing to send it 10% of traffic/);
  expect(outcome.states).not.toContain('Bake');
  // The canary never had weight.
  expect(flow.observer.weights).toEqual([]);
  expect(flow.observer.stableImages()).toEqual([STABLE]);
  await expectEndInvariants(flow, outcome, []);
});

it('CheckCanaryReady keeps waiting while the canary runs but none of its targets is healthy', async () => {
  // Prepare: the controller registers the canary's pods, and they fail the target group's health checks.
  flow = await startFlow();
  canaryPodsFailHealthChecks(flow);
  const checks = () => flow.engine.invocations.filter((i) => i.state === 'CheckCanaryReady').length;
  const thirdCheck = flow.engine.holdInvocation({ state: 'CheckCanaryReady', at: 'schedule', when: () => checks() >= 3 });
  const execution = flow.engine.start({ image: CANDIDATE, steps: PLAN });

  // Act: the third readiness check is about to run; or the execution ended first.
  const first = await Promise.race([thirdCheck.reached.then(() => 'waiting' as const), execution.outcome]);

  // Assess
  expect(first).toBe('waiting');
  expect(outcomeStates(execution.states)).toEqual(['CheckCanaryReady', 'CanaryReady?', 'WaitForCanary']);
  expect(flow.engine.invocations.filter((i) => i.handler === 'shift-weight')).toEqual([]);
  expect(flow.observer.weights).toEqual([]);
  const { namespace, canaryDeployment } = flow.engine.target.workload;
  expect(flow.engine.kube.deployment(namespace, canaryDeployment).status.availableReplicas).toBe(1);
  execution.abort();
  thirdCheck.release();
  const outcome = await execution.outcome;
  expect(outcome.status).toBe('ABORTED');
  await expectEndInvariants(flow, outcome, []);
});

/** The states after the last DeployCanary, without repeats of the readiness loop. */
function outcomeStates(states: string[]): string[] {
  const after = states.slice(states.lastIndexOf('DeployCanary') + 1);
  return [...new Set(after)];
}

it('INSUFFICIENT_DATA at the end of the last bake is not healthy (the default policy): CanaryUnhealthy, never promoted', async () => {
  // Prepare
  flow = await startFlow();
  const bake = holdBake(flow, 1);
  const execution = flow.engine.start({ image: CANDIDATE, steps: PLAN });
  await bake.running;

  // Act
  await flow.engine.aws.cloudwatch.setState(alarm(), 'INSUFFICIENT_DATA', 'no datapoints', { emitEvent: false });
  bake.release();
  const outcome = await execution.outcome;

  // Assess
  expect(outcome).toMatchObject({ status: 'FAILED', error: 'CanaryUnhealthy' });
  expect(outcome.cause).toMatch(/step 2 \(50%\): no alarm is in ALARM, but "[^"]+" has INSUFFICIENT_DATA at the end of the bake/);
  expect(outcome.states.slice(-3)).toEqual(['CheckHealth', 'Rollback', 'RolledBack']);
  expect(stableImage(flow)).toBe(STABLE);
  await expectEndInvariants(flow, outcome, [10, 50]);
});

it("CheckHealth's drift check: weights edited during the last bake fail it before anything is promoted", async () => {
  // Prepare
  flow = await startFlow();
  const { stableTargetGroupArn, canaryTargetGroupArn } = albTarget(flow.engine.target.traffic);
  const bake = holdBake(flow, 1);
  const execution = flow.engine.start({ image: CANDIDATE, steps: PLAN });
  await bake.running;

  // Act
  flow.engine.aws.elbv2.setWeightsOutOfBand(steered(flow), { [stableTargetGroupArn]: 70, [canaryTargetGroupArn]: 30 });
  bake.release();
  const outcome = await execution.outcome;

  // Assess
  expect(outcome).toMatchObject({ status: 'FAILED', error: 'DriftDetected' });
  expect(outcome.cause).toMatch(/during the bake: found stable 70 \/ canary 30, serinus wrote stable 50 \/ canary 50/);
  expect(outcome.states.slice(-3)).toEqual(['CheckHealth', 'Rollback', 'RolledBack']);
  expect(flow.observer.stableImages()).toEqual([STABLE]);
  await expectEndInvariants(flow, outcome, [10, 50]);
});

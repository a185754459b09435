/**
 * The gradual rollback (`rollbackPace` on the target) end to end on the ALB sample: a failure that
 * is not the canary's health walks the canary's weight down in observed writes, an alarm reverts at
 * once, and a stop during the walk still ends on stable because each step of the walk is fenced.
 */
import type { RollbackPace } from '../../lambda/domain/types';
import { albTarget } from '../../lambda/adapters/alb-target';
import { CANDIDATE, STABLE, expectEndInvariants, flowFor, holdBake, startFlow, steps, type Flow } from './flow-support';

/** 50 → 33 → 16, then the restore to 0. */
const PACE: RollbackPace = { steps: 3, intervalSeconds: 30, evenOnAlarm: false };
const PLAN = [10, 50, 100];
const WALK = [33, 16];

let engineFlow: Flow;
let flow: Flow;
let tests = 0;
let refused: { remove(): void } | undefined;

beforeAll(async () => {
  engineFlow = await startFlow();
}, 60_000);

afterAll(async () => {
  await engineFlow?.close();
});

afterEach(async () => {
  refused?.remove();
  refused = undefined;
  await flow?.close();
  await engineFlow.engine.aws.cloudwatch.setState(engineFlow.target.alarmNames[0]!, 'OK', 'recovered', { emitEvent: false });
});

function newFlow(): Flow {
  flow = flowFor(engineFlow.engine, 'alb', { suffix: `g${++tests}`, rollbackPace: PACE });
  return flow;
}

/** A write of the flow's listener that gives the canary `weight`. */
function writesCanary(weight: number) {
  const traffic = albTarget(flow.target.traffic);
  return (input: { ListenerArn?: string }) =>
    input.ListenerArn === traffic.listenerArn && JSON.stringify(input).includes(`"TargetGroupArn":"${traffic.canaryTargetGroupArn}","Weight":${weight}}`);
}

it('a failure that is not the canary\'s health walks the weight down: 50 → 33 → 16 → 0', async () => {
  // Prepare
  newFlow();
  // The last step's write is refused, retries included (a permissions change mid-rollout): not a
  // health failure.
  refused = flow.engine.aws.injectFault({ command: 'ModifyListener', kind: 'accessDenied', times: 'always', handler: 'shift-weight', match: writesCanary(100) as never });

  // Act
  const outcome = await flow.start({ image: CANDIDATE, steps: steps(...PLAN) }).outcome;

  // Assess
  expect(outcome).toMatchObject({ status: 'FAILED', error: 'AccessDenied' });
  expect(flow.observer.canaryWeights()).toEqual([10, 50, ...WALK, 0]);
  const walk = flow.observer.weights.filter((w) => w.source === 'api').slice(2);
  expect(walk.map((w) => w.canary)).toEqual([...WALK, 0]);
  expect(flow.engine.invocations.filter((i) => i.handler === 'rollback')).toHaveLength(1);
  expect(flow.observer.stableImages()).toEqual([STABLE]);
  await expectEndInvariants(flow, outcome, [...PLAN, ...WALK], {});
});

it('an alarm reverts at once: no walk', async () => {
  // Prepare
  newFlow();
  const bake = holdBake(flow, 1);
  const execution = flow.start({ image: CANDIDATE, steps: steps(...PLAN) });
  await bake.running;

  // Act
  await flow.engine.aws.cloudwatch.setState(flow.target.alarmNames[0]!, 'ALARM', 'Threshold Crossed: 5xx rate 12% > 5%');
  const outcome = await execution.outcome;
  bake.release();

  // Assess
  expect(outcome).toMatchObject({ status: 'FAILED', error: 'CanaryUnhealthy' });
  expect(flow.observer.canaryWeights()).toEqual([10, 50, 0]);
  await expectEndInvariants(flow, outcome, PLAN, {});
});

it('stopped during the walk: the walk is fenced and the rollout ends on stable', async () => {
  // Prepare
  newFlow();
  refused = flow.engine.aws.injectFault({ command: 'ModifyListener', kind: 'accessDenied', times: 'always', handler: 'shift-weight', match: writesCanary(100) as never });
  // The walk's first write, sent (its fence passed) and not yet applied.
  const firstWalkWrite = flow.engine.aws.hold({ command: 'ModifyListener', handler: 'rollback', match: writesCanary(WALK[0]!) as never });
  const execution = flow.start({ image: CANDIDATE, steps: steps(...PLAN) });
  await firstWalkWrite.reached;

  // Act
  execution.abort();
  const outcome = await execution.outcome;
  const afterCleanup = flow.observer.currentWeights();
  firstWalkWrite.release();
  await flow.engine.idle();

  // Assess
  expect(outcome).toMatchObject({ status: 'ABORTED', cleanup: expect.anything() });
  expect(afterCleanup).toEqual({ stable: 100, canary: 0 });
  // The write in flight lands after cleanup; the walk's next write is fenced out, the walk is cut
  // short and the rollback's own restore puts stable back.
  expect(flow.observer.canaryWeights()).toEqual([10, 50, 0, WALK[0], 0]);
  expect(flow.observer.currentWeights()).toEqual({ stable: 100, canary: 0 });
  await expectEndInvariants(flow, outcome, [...PLAN, ...WALK], {});
});

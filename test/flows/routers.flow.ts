/**
 * Every router kind end to end: the sample's definition run against the sample steered by an
 * Ingress (through the AWS Load Balancer Controller's model), an Istio VirtualService and a replica
 * ratio, each seeded in one engine (local/router-worlds.ts). Per kind: a promotion observed step by
 * step in the data plane, a rollback by an alarm mid-bake, and a stop mid-bake with a handler still
 * running, each ending on stable.
 */
import { splitReplicas, weightsOfPods } from '../../lambda/domain/replica-ratio';
import type { DeploymentSample } from '../../local/rollout-observer';
import { INGRESS_CONTROLLER_LAG_READS, ingressController } from '../../local/router-worlds';
import type { SampleRouterKind } from '../../local/sample-targets';
import { CANDIDATE, STABLE, expectEndInvariants, flowFor, holdBake, startFlow, steps, type Flow } from './flow-support';

let engineFlow: Flow;
let flow: Flow;

beforeAll(async () => {
  engineFlow = await startFlow();
}, 60_000);

afterAll(async () => {
  await engineFlow?.close();
});

afterEach(async () => {
  await flow?.close();
  // The alarm is the sample's, shared by every target: back to OK for the next test.
  await engineFlow.engine.aws.cloudwatch.setState(engineFlow.target.alarmNames[0]!, 'OK', 'recovered', { emitEvent: false });
});

const KINDS: SampleRouterKind[] = ['ingress', 'istio', 'replica-ratio'];
const PLAN = [10, 50];
let tests = 0;

/** A fresh target of the kind in the file's engine. */
function newFlow(kind: SampleRouterKind): Flow {
  flow = flowFor(engineFlow.engine, kind, { suffix: `t${++tests}` });
  return flow;
}

/** The data plane's canary share for each plan weight: exact, or the whole pods of the replica ratio. */
function expectedSplits(kind: SampleRouterKind, weights: number[]): number[] {
  if (kind !== 'replica-ratio') return weights;
  return weights.map((weight) => {
    const split = splitReplicas({ stable: 100 - weight, canary: weight }, 3, { minReplicas: 2, maxReplicas: 10 });
    return weightsOfPods(split.replicas).canary;
  });
}

describe.each(KINDS)('%s', (kind) => {
  it('promotes: each step shows in the data plane, which ends stable 100 / canary 0, and the record is released', async () => {
    // Prepare
    newFlow(kind);

    // Act
    const execution = flow.start({ image: CANDIDATE, steps: steps(...PLAN) });
    const outcome = await execution.outcome;

    // Assess
    expect(outcome).toMatchObject({ status: 'SUCCEEDED', output: { result: 'promoted', weights: { stable: 100, canary: 0 } } });
    const observed = flow.observer.canaryWeights();
    // Each step's split appears in the data plane, in order, then the canary's share goes to 0.
    let at = -1;
    for (const split of expectedSplits(kind, PLAN)) {
      at = observed.indexOf(split, at + 1);
      expect(at).toBeGreaterThanOrEqual(0);
    }
    expect(observed.at(-1)).toBe(0);
    if (kind !== 'replica-ratio') expect(observed).toEqual([...PLAN, 0]);
    expect(flow.observer.stableImages()).toEqual([STABLE, CANDIDATE]);
    await expectEndInvariants(flow, outcome, PLAN, { stableImage: CANDIDATE, canaryImage: CANDIDATE });
  });

  it('rolls back when an alarm fires mid-bake: the data plane ends on stable', async () => {
    // Prepare
    newFlow(kind);
    const bake = holdBake(flow, 1);
    const execution = flow.start({ image: CANDIDATE, steps: steps(...PLAN) });
    await bake.running;
    expect(flow.observer.currentWeights().canary).toBe(expectedSplits(kind, [50])[0]);

    // Act
    await flow.engine.aws.cloudwatch.setState(flow.target.alarmNames[0]!, 'ALARM', 'Threshold Crossed: 5xx rate 12% > 5%');
    const outcome = await execution.outcome;
    bake.release();

    // Assess
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'CanaryUnhealthy' });
    expect(flow.observer.canaryWeights().at(-1)).toBe(0);
    expect(flow.observer.stableImages()).toEqual([STABLE]);
    await expectEndInvariants(flow, outcome, PLAN, {});
  });

  it('stopped while the next step\'s write is in flight: the late write is refused or fenced, the reassert ends on stable', async () => {
    // Prepare
    newFlow(kind);
    const bake = holdBake(flow, 0);
    const execution = flow.start({ image: CANDIDATE, steps: steps(...PLAN) });
    await bake.running;
    // The write that moves traffic (the replica ratio records its intent first, then scales the canary up).
    let writes = 0;
    const which = kind === 'replica-ratio' ? 2 : 1;
    const lateWrite = flow.engine.kube.hold({ handler: 'shift-weight', match: (body) => body !== undefined && ++writes === which });
    bake.release();
    await lateWrite.reached;

    // Act
    execution.abort();
    const outcome = await execution.outcome;
    const afterCleanup = flow.observer.currentWeights();
    lateWrite.release();
    await flow.engine.idle();
    const afterLateWrite = flow.observer.currentWeights();

    // Assess
    expect(outcome).toMatchObject({ status: 'ABORTED', cleanup: expect.anything() });
    expect(afterCleanup).toEqual({ stable: 100, canary: 0 });
    const shiftError = flow.engine.invocations.filter((i) => i.handler === 'shift-weight').at(-1)!.error;
    if (kind === 'replica-ratio') {
      // The scale sent before cleanup lands after it (a scale carries no resourceVersion); the
      // handler's next fenced write is refused, and until the reassert the canary has pods.
      expect(afterLateWrite.canary).toBeGreaterThan(0);
      expect(shiftError).toBe('RecordMismatch');
    } else {
      // The write carries the object's resourceVersion as read: after cleanup's write the API server
      // answers 409, the router reads again and finds stable where it expected 10%: nothing lands.
      expect(afterLateWrite).toEqual({ stable: 100, canary: 0 });
      expect(shiftError).toBe('DriftDetected');
    }
    await expectEndInvariants(flow, outcome, PLAN, {});
  });
});

describe('ingress: the AWS Load Balancer Controller applies the annotation after a lag', () => {
  it('ShiftWeight returns only once the controller has reconciled the rule', async () => {
    // Prepare
    newFlow('ingress');
    const shifted = flow.engine.holdInvocation({ handler: 'shift-weight', at: 'end' });
    const execution = flow.start({ image: CANDIDATE, steps: steps(10) });

    // Act
    const invocation = await shifted.reached;
    const seen = flow.observer.currentWeights();
    const pending = ingressController(flow.engine.world, flow.target).controller.pending;
    shifted.release();
    const outcome = await execution.outcome;

    // Assess
    expect(invocation.error).toBeUndefined();
    expect(seen).toEqual({ stable: 90, canary: 10 });
    expect(pending).toBe(false);
    const reads = flow.engine.aws.calls.filter((c) => c.command === 'DescribeRules' && c.state === 'ShiftWeight' && c.handler === 'shift-weight');
    expect(reads.length).toBeGreaterThanOrEqual(INGRESS_CONTROLLER_LAG_READS + 1);
    expect(outcome.status).toBe('SUCCEEDED');
    await expectEndInvariants(flow, outcome, [10], { stableImage: CANDIDATE, canaryImage: CANDIDATE });
  });

  it('a direct edit of the listener rule is reverted by the controller: the Ingress stays the truth', async () => {
    // Prepare
    newFlow('ingress');
    const { controller, ruleArn, stableTargetGroupArn, canaryTargetGroupArn } = ingressController(flow.engine.world, flow.target);
    const bake = holdBake(flow, 0);
    const execution = flow.start({ image: CANDIDATE, steps: steps(...PLAN) });
    await bake.running;

    // Act
    flow.engine.aws.elbv2.setWeightsOutOfBand(ruleArn, { [stableTargetGroupArn]: 0, [canaryTargetGroupArn]: 100 });
    const edited = flow.observer.currentWeights();
    controller.reconcile();
    const reverted = flow.observer.currentWeights();
    bake.release();
    const outcome = await execution.outcome;

    // Assess
    expect(edited).toEqual({ stable: 0, canary: 100 });
    expect(reverted).toEqual({ stable: 90, canary: 10 });
    expect(flow.observer.weights.map((w) => `${w.source}:${w.canary}`)).toEqual(['api:10', 'out-of-band:100', 'api:10', 'api:50', 'api:0']);
    expect(outcome.status).toBe('SUCCEEDED');
    await expectEndInvariants(flow, outcome, PLAN, { stableImage: CANDIDATE, canaryImage: CANDIDATE });
  });
});

describe('replica ratio: the split follows the ready pods', () => {
  it('the canary has no pod before the first weight, and stable never gives up pods the traffic still needs', async () => {
    // Prepare
    newFlow('replica-ratio');

    // Act
    const execution = flow.start({ image: CANDIDATE, steps: steps(...PLAN) });
    const outcome = await execution.outcome;

    // Assess
    expect(outcome.status).toBe('SUCCEEDED');
    const { deployments } = flow.observer;
    const canary = deployments.filter((d) => d.deployment === 'canary');
    // DeployCanary sets the candidate on a canary of 0 replicas; the first pod comes with ShiftWeight.
    const firstCandidate = canary.find((d) => d.images.app === CANDIDATE)!;
    expect(firstCandidate.replicas).toBe(0);
    const firstShift = flow.engine.invocations.find((i) => i.handler === 'shift-weight' && i.state === 'ShiftWeight')!;
    expect(canary.filter((d) => d.replicas > 0).every((d) => d.at >= firstShift.startedAt)).toBe(true);
    // Make before break: the stable shrinks only once the canary's pods are ready, and the ready
    // pods never fall below what carried the traffic (the stable's 3).
    let last: Record<'stable' | 'canary', DeploymentSample | undefined> = { stable: undefined, canary: undefined };
    for (const sample of deployments) {
      const previous = last[sample.deployment];
      if (sample.deployment === 'stable' && previous && sample.replicas < previous.replicas) {
        expect(last.canary!.available).toBe(last.canary!.replicas);
      }
      last = { ...last, [sample.deployment]: sample };
      if (last.stable && last.canary) expect(last.stable.available + last.canary.available).toBeGreaterThanOrEqual(3);
    }
    await expectEndInvariants(flow, outcome, PLAN, { stableImage: CANDIDATE, canaryImage: CANDIDATE });
  });
});

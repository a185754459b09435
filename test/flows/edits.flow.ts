/**
 * People edit things mid-rollout. Each edit is made while a
 * bake is held open (or, for the promotion, while the stable Deployment's rollout is held), through
 * the whole synthesized workflow. Each ends with a named error whose cause says what was found,
 * traffic back on stable, the lock released and the canary scaled back.
 */
import type { ExecutionOutcome } from '../../local/local-engine';
import { CANDIDATE, STABLE, expectEndInvariants, holdBake, sampleWorkflow, startFlow, type Flow } from './flow-support';
import { albTarget } from '../../lambda/adapters/alb-target';
import {
  canaryReplicas,
  canaryTargetsUnhealthy,
  liveWeights,
  patchCanary,
  stableImage,
  startFlowOn,
  steered,
} from './edits-support';
import { adoptWorkflow, ruleWorkflow } from '../support/flow-workflows';

const PLAN = [
  { weight: 10, bakeSeconds: 60 },
  { weight: 50, bakeSeconds: 60 },
];
const PLAN_WEIGHTS = PLAN.map((step) => step.weight);
const OTHER_TG = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/other/1111111111111111';
const REPLACEMENT_TG = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/checkout-v2/2222222222222222';

let flow: Flow;

// Synthesizing three variants of the stack takes seconds on a loaded machine: once, before the flows.
beforeAll(() => {
  sampleWorkflow();
  ruleWorkflow();
  adoptWorkflow();
}, 120_000);

afterEach(async () => {
  await flow?.close();
});

const tg = () => albTarget(flow.engine.target.traffic);
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** Runs PLAN, holds the bake of step `index`, makes the edit, lets the bake end. */
async function editDuringBake(index: number, edit: () => unknown): Promise<ExecutionOutcome> {
  const bake = holdBake(flow, index);
  const execution = flow.engine.start({ image: CANDIDATE, steps: PLAN });
  await bake.running;
  await edit();
  bake.release();
  return execution.outcome;
}

/** What every edit ends with: the lock released by Rollback itself, the canary scaled back to what it was, stable never promoted. */
function expectRolledBack(outcome: ExecutionOutcome): void {
  expect(outcome.states.slice(-2)).toEqual(['Rollback', 'RolledBack']);
  expect(outcome.states).not.toContain('PromoteStable');
  expect(outcome.cleanup).toEqual({ held: false, undone: [], findings: [] });
  expect(flow.engine.aws.dynamodb.items('serinus-rollouts')).toEqual([]);
  expect(canaryReplicas(flow)).toBe(0);
  const { namespace, canaryDeployment } = flow.engine.target.workload;
  expect(flow.engine.kube.deployment(namespace, canaryDeployment).spec.template.spec.containers[0]!.image).toBe(STABLE);
  expect(flow.observer.stableImages()).toEqual([STABLE]);
}

describe('edits of the listener during a bake', () => {
  it('weights changed to 50/50: DriftDetected naming both, back to stable 100 / canary 0', async () => {
    // Prepare
    flow = await startFlow();

    // Act
    const outcome = await editDuringBake(0, () =>
      flow.engine.aws.elbv2.setWeightsOutOfBand(steered(flow), { [tg().stableTargetGroupArn]: 50, [tg().canaryTargetGroupArn]: 50 }),
    );

    // Assess
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'DriftDetected' });
    expect(outcome.cause).toMatch(/found stable 50 \/ canary 50, serinus wrote stable 90 \/ canary 10/);
    expectRolledBack(outcome);
    expect(liveWeights(flow)).toEqual({ [tg().stableTargetGroupArn]: 100, [tg().canaryTargetGroupArn]: 0 });
    await expectEndInvariants(flow, outcome, PLAN_WEIGHTS);
  });

  it('a third target group added: DriftDetected naming it; stable 100, canary 0, the third at 0', async () => {
    // Prepare
    flow = await startFlow();

    // Act
    const outcome = await editDuringBake(0, () => flow.engine.aws.elbv2.addTargetGroupOutOfBand(steered(flow), OTHER_TG, 20));

    // Assess
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'DriftDetected' });
    expect(outcome.cause).toMatch(new RegExp(`changed outside serinus during the rollout: .*forwards to ${escape(OTHER_TG)}, which is neither`));
    expect(outcome.cause).toMatch(new RegExp(`Found: .*forwarded to ${escape(OTHER_TG)} \\(weight 20\\).*set to 0`));
    expectRolledBack(outcome);
    expect(liveWeights(flow)).toEqual({ [tg().stableTargetGroupArn]: 100, [tg().canaryTargetGroupArn]: 0, [OTHER_TG]: 0 });
    await expectEndInvariants(flow, outcome, PLAN_WEIGHTS);
  });

  it('the stable target group removed: DriftDetected; stable put back at 100, canary 0', async () => {
    // Prepare
    flow = await startFlow();

    // Act
    const outcome = await editDuringBake(0, () => flow.engine.aws.elbv2.removeTargetGroupOutOfBand(steered(flow), tg().stableTargetGroupArn));

    // Assess
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'DriftDetected' });
    expect(outcome.cause).toMatch(/does not include the stable target group/);
    expect(outcome.cause).toMatch(/Found: .*no longer forwarded to the stable target group .*; put it back at weight 100/);
    expectRolledBack(outcome);
    expect(liveWeights(flow)).toEqual({ [tg().stableTargetGroupArn]: 100, [tg().canaryTargetGroupArn]: 0 });
    await expectEndInvariants(flow, outcome, PLAN_WEIGHTS);
  });

  it('the stable target group replaced by another: DriftDetected naming both; stable 100, canary 0, the replacement 0', async () => {
    // Prepare
    flow = await startFlow();

    // Act
    const outcome = await editDuringBake(0, () => {
      flow.engine.aws.elbv2.addTargetGroupOutOfBand(steered(flow), REPLACEMENT_TG, 90);
      flow.engine.aws.elbv2.removeTargetGroupOutOfBand(steered(flow), tg().stableTargetGroupArn);
    });

    // Assess
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'DriftDetected' });
    expect(outcome.cause).toMatch(new RegExp(`forwards to ${escape(REPLACEMENT_TG)}, which is neither`));
    expect(outcome.cause).toMatch(new RegExp(`Found: .*forwarded to ${escape(REPLACEMENT_TG)} \\(weight 90\\).*no longer forwarded to the stable target group`));
    expectRolledBack(outcome);
    expect(liveWeights(flow)).toEqual({ [tg().stableTargetGroupArn]: 100, [tg().canaryTargetGroupArn]: 0, [REPLACEMENT_TG]: 0 });
    await expectEndInvariants(flow, outcome, PLAN_WEIGHTS);
  });

  it('both weights set to 0: DriftDetected, "no traffic routed"; stable 100, canary 0', async () => {
    // Prepare
    flow = await startFlow();

    // Act
    const outcome = await editDuringBake(0, () =>
      flow.engine.aws.elbv2.setWeightsOutOfBand(steered(flow), { [tg().stableTargetGroupArn]: 0, [tg().canaryTargetGroupArn]: 0 }),
    );

    // Assess
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'DriftDetected' });
    expect(outcome.cause).toMatch(/found stable 0 \/ canary 0 \(no traffic routed\)/);
    expect(outcome.cause).toMatch(/Found: .*gave the stable target group weight 0; set it to 100/);
    expectRolledBack(outcome);
    expect(liveWeights(flow)).toEqual({ [tg().stableTargetGroupArn]: 100, [tg().canaryTargetGroupArn]: 0 });
    await expectEndInvariants(flow, outcome, PLAN_WEIGHTS);
  });

  it('the canary target group removed: DriftDetected, not a canary without healthy targets; rollback attaches it again at 0', async () => {
    // Prepare
    flow = await startFlow();

    // Act
    const outcome = await editDuringBake(0, () => flow.engine.aws.elbv2.removeTargetGroupOutOfBand(steered(flow), tg().canaryTargetGroupArn));

    // Assess
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'DriftDetected' });
    expect(outcome.cause).toMatch(/found stable 90 \/ canary 0 \(0% on the canary\), serinus wrote stable 90 \/ canary 10/);
    expect(outcome.cause).toMatch(/Rolled back: shift all traffic to the stable target group/);
    expect(outcome.cause).toMatch(/Found: .*no longer listed the canary target group/);
    expectRolledBack(outcome);
    // Raw 100/0 with the canary attached: what serinus leaves between rollouts.
    expect(liveWeights(flow)).toEqual({ [tg().stableTargetGroupArn]: 100, [tg().canaryTargetGroupArn]: 0 });
    await flow.engine.passFence();
    expect(flow.engine.aws.dynamodb.items('serinus-rollouts')).toEqual([]);

    // The next rollout puts the canary back into the action at its Lock, and promotes.
    const next = await flow.engine.start({ image: CANDIDATE, steps: PLAN }, 'next').outcome;
    expect(next).toMatchObject({ status: 'SUCCEEDED' });
    expect(liveWeights(flow)).toEqual({ [tg().stableTargetGroupArn]: 100, [tg().canaryTargetGroupArn]: 0 });
  });

  it('the steered rule deleted: DriftDetected naming the rule; nothing left to steer, the lock released', async () => {
    // Prepare
    flow = await startFlowOn(ruleWorkflow());
    const rule = steered(flow);
    expect(rule).toBe(albTarget(flow.engine.target.traffic).ruleArn);

    // Act
    const outcome = await editDuringBake(0, () => flow.engine.aws.elbv2.deleteRuleOutOfBand(rule));

    // Assess
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'DriftDetected' });
    expect(outcome.cause).toMatch(new RegExp(`changed outside serinus during the rollout: listener rule ${escape(rule)} does not exist`));
    expect(outcome.cause).toMatch(/Rolled back: nothing left to steer: .*the lock is released without a traffic change/);
    expect(outcome.cause).toMatch(new RegExp(`Found: listener rule ${escape(rule)} no longer exists`));
    expectRolledBack(outcome);
    expect(liveWeights(flow)).toBeUndefined();
    // The listener's default action, never steered, is as it was.
    expect(flow.engine.aws.elbv2.weights(albTarget(flow.engine.target.traffic).listenerArn)).toEqual({});
    await flow.engine.passFence();
    expect(flow.engine.aws.dynamodb.items('serinus-rollouts')).toEqual([]);
    expect(flow.engine.aws.scheduler.pending()).toEqual([]);
    expect(flow.observer.canaryWeights()).toEqual([10]);
  });
});

describe('weights edited while the stable Deployment is being promoted (finding 4)', () => {
  it('raw 999/1 is not 100/0: Finish refuses with DriftDetected, stable gets its image back, traffic stable 100 / canary 0', async () => {
    // Prepare
    flow = await startFlow();
    const { namespace, stableDeployment } = flow.engine.target.workload;
    const promotion = flow.engine.kube.holdRollout(namespace, stableDeployment);
    const execution = flow.engine.start({ image: CANDIDATE, steps: PLAN });
    await promotion.reached;

    // Act
    flow.engine.aws.elbv2.setWeightsOutOfBand(steered(flow), { [tg().stableTargetGroupArn]: 999, [tg().canaryTargetGroupArn]: 1 });
    await promotion.release();
    const outcome = await execution.outcome;

    // Assess
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'DriftDetected' });
    expect(outcome.cause).toMatch(/carries stable 999 \/ canary 1 \(0\.1% on the canary\), but serinus last wrote stable 50 \/ canary 50/);
    expect(outcome.states.slice(-3)).toEqual(['Finish', 'Rollback', 'RolledBack']);
    expect(flow.observer.stableImages()).toEqual([STABLE, CANDIDATE, STABLE]);
    expect(stableImage(flow)).toBe(STABLE);
    expect(canaryReplicas(flow)).toBe(0);
    expect(liveWeights(flow)).toEqual({ [tg().stableTargetGroupArn]: 100, [tg().canaryTargetGroupArn]: 0 });
    await expectEndInvariants(flow, outcome, PLAN_WEIGHTS);
  });
});

describe('the canary edited during the last bake (finding 7): never promoted', () => {
  it.each<{ label: string; edit: () => Promise<void> | void; error: string; cause: RegExp }>([
    {
      label: 'scaled to 0',
      edit: async () => expect(await patchCanary(flow, { spec: { replicas: 0 } })).toBe(200),
      error: 'CanaryUnhealthy',
      cause: /step 2 \(50%\): the canary Deployment "checkout-canary" has 0 of 0 replica\(s\) available \(scaled to zero\)/,
    },
    {
      label: 're-imaged',
      edit: async () =>
        expect(await patchCanary(flow, { spec: { template: { spec: { containers: [{ name: 'app', image: 'registry.local/app:hotfix' }] } } } })).toBe(200),
      error: 'CanaryUnhealthy',
      cause: /step 2 \(50%\): the canary Deployment "checkout-canary" no longer runs the candidate: app=registry\.local\/app:hotfix instead of registry\.local\/app:2\.0\.0/,
    },
    {
      label: 'made unhealthy',
      edit: () => canaryTargetsUnhealthy(flow),
      error: 'NoHealthyTargets',
      cause: /step 2 \(50%\): the canary Deployment "checkout-canary" runs, but its target group has no healthy targets/,
    },
  ])('$label: $error, rolled back to stable 100 / canary 0', async ({ edit, error, cause }) => {
    // Prepare
    flow = await startFlow();

    // Act
    const outcome = await editDuringBake(1, edit);

    // Assess
    expect(outcome).toMatchObject({ status: 'FAILED', error });
    expect(outcome.cause).toMatch(cause);
    expect(outcome.states.filter((s) => s === 'CheckHealth')).toHaveLength(2);
    expectRolledBack(outcome);
    expect(liveWeights(flow)).toEqual({ [tg().stableTargetGroupArn]: 100, [tg().canaryTargetGroupArn]: 0 });
    await expectEndInvariants(flow, outcome, PLAN_WEIGHTS);
  });
});

describe("onDrift: 'adopt'", () => {
  const ADOPT_PLAN = [10, 25, 50, 100].map((weight) => ({ weight, bakeSeconds: 60 }));
  const adoptFlow = () => startFlowOn(adoptWorkflow());

  it('carries on from the live weights: a step the canary already has is baked without a write, the next is written as planned', async () => {
    // Prepare
    flow = await adoptFlow();
    expect(flow.engine.target.onDrift).toBe('adopt');
    const bake = holdBake(flow, 0);
    const secondBake = holdBake(flow, 1);
    const execution = flow.engine.start({ image: CANDIDATE, steps: ADOPT_PLAN });
    await bake.running;

    // Act: someone gives the canary 40% during the bake of the 10% step.
    flow.engine.aws.elbv2.setWeightsOutOfBand(steered(flow), { [tg().stableTargetGroupArn]: 60, [tg().canaryTargetGroupArn]: 40 });
    bake.release();
    await secondBake.running;
    const duringStep2 = flow.observer.currentWeights();
    secondBake.release();
    const outcome = await execution.outcome;

    // Assess
    expect(outcome).toMatchObject({ status: 'SUCCEEDED', output: { result: 'promoted' } });
    // The 25% step baked at the adopted 60/40; 50% and 100% were written, then stable 100.
    expect(duringStep2).toEqual({ stable: 60, canary: 40 });
    expect(flow.observer.weights.map((w) => `${w.source} ${w.stable}/${w.canary}`)).toEqual([
      'api 90/10',
      'out-of-band 60/40',
      'api 50/50',
      'api 0/100',
      'api 100/0',
    ]);
    expect(outcome.states.filter((s) => s === 'Bake')).toHaveLength(4);
    expect(stableImage(flow)).toBe(CANDIDATE);
    await expectEndInvariants(flow, outcome, ADOPT_PLAN.map((s) => s.weight));
  });

  it('does not adopt what it cannot steer: a third target group still fails with DriftDetected', async () => {
    // Prepare
    flow = await adoptFlow();
    const bake = holdBake(flow, 0);
    const execution = flow.engine.start({ image: CANDIDATE, steps: ADOPT_PLAN });
    await bake.running;

    // Act
    flow.engine.aws.elbv2.addTargetGroupOutOfBand(steered(flow), OTHER_TG, 20);
    bake.release();
    const outcome = await execution.outcome;

    // Assess
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'DriftDetected' });
    // Adopt skips the drift check at the bake's end; the next ShiftWeight reads the action and refuses it.
    expect(outcome.states.filter((s) => s === 'ShiftWeight')).toHaveLength(2);
    expect(outcome.states.slice(-3)).toEqual(['ShiftWeight', 'Rollback', 'RolledBack']);
    expect(outcome.cause).toMatch(new RegExp(`forwards to ${escape(OTHER_TG)}, which is neither`));
    expect(liveWeights(flow)).toEqual({ [tg().stableTargetGroupArn]: 100, [tg().canaryTargetGroupArn]: 0, [OTHER_TG]: 0 });
    await expectEndInvariants(flow, outcome, ADOPT_PLAN.map((s) => s.weight));
  });
});

/**
 * The fail-safe rules of the use-cases, against in-memory ports: fencing, traffic first, the
 * pre-shift alarm gate, the canary recheck at a bake's end, raw weights, the safety schedule.
 */
import { reassertScheduleName, safetyScheduleName } from '../../../lambda/domain/naming';
import type { PlanStep, RolloutRecord } from '../../../lambda/domain/types';
import { checkHealth, onAlarm, startBake } from '../../../lambda/use-cases/bake';
import type { RolloutContext } from '../../../lambda/use-cases/context';
import { deployCanary, promoteStable } from '../../../lambda/use-cases/deploy';
import { finishRollout } from '../../../lambda/use-cases/finish';
import { acquireLock } from '../../../lambda/use-cases/lock';
import { cleanupExecution, rollbackExecution, sweep } from '../../../lambda/use-cases/rollback';
import { shiftWeight } from '../../../lambda/use-cases/traffic';
import { EXECUTION_ARN, LISTENER_ARN, rolloutRequest, targetConfig } from '../../support/fixtures';
import { CANDIDATE, MUTATING, OLD, World, midRollout } from './memory-ports';

const SAFETY = safetyScheduleName(LISTENER_ARN, EXECUTION_ARN);
const STEP: PlanStep = { index: 0, weight: 10, bakeSeconds: 300, approvalBefore: false, timeoutSeconds: 900 };
const LAST: PlanStep = { index: 1, weight: 100, bakeSeconds: 0, approvalBefore: false, timeoutSeconds: 600 };

function context(overrides: Partial<RolloutContext> = {}): RolloutContext {
  return {
    executionArn: EXECUTION_ARN,
    targetKey: LISTENER_ARN,
    target: targetConfig(),
    request: rolloutRequest({ images: { app: CANDIDATE } }),
    plan: { steps: [STEP, LAST], approvalBeforePromote: false, maxDurationSeconds: 3600 },
    stepCount: 2,
    ...overrides,
  };
}

const world = midRollout;

type Run = (w: World) => Promise<unknown>;

/** Every workflow use-case that writes, in the state it would run in. */
const HANDLERS: Array<[string, Partial<RolloutRecord>, (w: World) => void, Run]> = [
  ['DeployCanary', {}, () => undefined, (w) => deployCanary(w, context())],
  ['ShiftWeight', {}, () => undefined, (w) => shiftWeight(w, context(), STEP)],
  [
    'Bake',
    { lastWrittenWeights: { stable: 90, canary: 10 } },
    (w) => (w.weights = { stable: 90, canary: 10 }),
    (w) => startBake(w, context(), STEP, 'token-1'),
  ],
  [
    'CheckHealth',
    { lastWrittenWeights: { stable: 90, canary: 10 }, lastShiftAt: '2025-03-01T12:01:00.000Z' },
    (w) => (w.weights = { stable: 90, canary: 10 }),
    (w) => checkHealth(w, context(), STEP),
  ],
  ['PromoteStable', { healthyThroughStep: 1, lastWrittenWeights: { stable: 0, canary: 100 } }, (w) => (w.weights = { stable: 0, canary: 100 }), (w) => promoteStable(w, context())],
  ['Finish', { healthyThroughStep: 1, lastWrittenWeights: { stable: 0, canary: 100 } }, (w) => (w.weights = { stable: 0, canary: 100 }), (w) => finishRollout(w, context())],
];

describe('fencing', () => {
  it.each(HANDLERS)('%s runs a fence check immediately before every mutating call', async (_name, fields, prepare, run) => {
    // Prepare
    const w = world(fields);
    prepare(w);

    // Act
    await run(w);

    // Assess
    const calls = w.journal;
    const mutating = calls.map((call, index) => ({ call, index })).filter(({ call }) => MUTATING.test(call) && call !== 'store.release' && !call.startsWith('timer.cancel'));
    expect(mutating.length).toBeGreaterThan(0);
    for (const { call, index } of mutating) {
      expect([call, calls[index - 1]]).toEqual([call, 'store.fence']);
    }
  });

  it.each(HANDLERS)('%s writes nothing once cleanup ended the record while it ran', async (_name, fields, prepare, run) => {
    // Prepare
    const w = world(fields);
    prepare(w);
    w.afterGet = () => w.endRecord(LISTENER_ARN);

    // Act
    const result = await run(w).catch((error: unknown) => error);

    // Assess
    expect(result).toMatchObject({ name: 'RecordMismatch' });
    expect(w.journal.filter((c) => MUTATING.test(c))).toEqual([]);
  });

  it('a handler that starts after the record ended is refused before it reads anything else', async () => {
    // Prepare
    const w = world();
    w.endRecord(LISTENER_ARN);

    // Act
    const result = await deployCanary(w, context()).catch((error: unknown) => error);

    // Assess
    expect((result as Error).message).toMatch(/this rollout was ended at .*nothing more is written/);
    expect(w.journal).toEqual(['store.get']);
  });

  it('Lock starts the record at generation 0 and creates the safety schedule, fenced, before anything else is written', async () => {
    // Prepare
    const w = new World();

    // Act
    await acquireLock(w, context());

    // Assess
    expect(w.records.get(LISTENER_ARN)).toMatchObject({ generation: 1, safetySchedule: SAFETY, startWeights: { stable: 100, canary: 0 } });
    expect(w.mutations()).toEqual(['store.acquire', 'store.fence', 'timer.scheduleSweep:safety']);
    expect(w.schedules.get(SAFETY)?.request).toEqual({ kind: 'safety', executionArn: EXECUTION_ARN, targetKey: LISTENER_ARN, traffic: targetConfig().traffic });
  });

  it.each([
    [{ stable: 999, canary: 1 }, /canary target group has traffic at the start \(stable 999 \/ canary 1 \(0.1% on the canary\)\)/],
    [{ stable: 0, canary: 0 }, /stable target group has weight 0/],
  ])('Lock refuses raw start weights %j, after the lock and its safety schedule exist so rollback can undo it', async (weights, message) => {
    // Prepare
    const w = new World();
    w.weights = weights;

    // Act
    const result = await acquireLock(w, context()).catch((error: unknown) => error);

    // Assess
    expect(result).toMatchObject({ name: 'ValidationFailed' });
    expect((result as Error).message).toMatch(message);
    expect(w.schedules.has(SAFETY)).toBe(true);
  });
});

describe('rollback: traffic first', () => {
  const BAKE = { taskToken: 't', scheduleName: 'serinus-bake', stepIndex: 0, startedAt: '2025-03-01T12:01:00.000Z' };

  it.each(['store.get', 'store.end', 'timer.cancel', 'workloads.setImages', 'workloads.scale', 'store.release'])(
    'with the lock held, stable gets the traffic before anything else, even when %s fails',
    async (failing) => {
      // Prepare
      const w = world({ bake: BAKE, lastWrittenWeights: { stable: 90, canary: 10 } });
      w.weights = { stable: 90, canary: 10 };
      w.failing.add(failing);

      // Act
      await rollbackExecution(w, { targetKey: LISTENER_ARN, executionArn: EXECUTION_ARN, traffic: targetConfig().traffic, heldLock: true }, 'CanaryUnhealthy').catch(() => undefined);

      // Assess
      expect(w.journal[0]).toBe('router.restoreStable');
      expect(w.weights).toEqual({ stable: 100, canary: 0 });
    },
  );

  it('then ends the record, deletes the bake schedule, reverts the canary, releases the lock and the safety schedule, in that order', async () => {
    // Prepare
    const w = world({ bake: BAKE, lastWrittenWeights: { stable: 90, canary: 10 } });
    w.weights = { stable: 90, canary: 10 };

    // Act
    const outcome = await rollbackExecution(w, { targetKey: LISTENER_ARN, executionArn: EXECUTION_ARN, traffic: targetConfig().traffic, heldLock: true }, 'CanaryUnhealthy');

    // Assess
    expect(w.mutations()).toEqual([
      'router.modify:restore',
      'store.end',
      'timer.cancel:serinus-bake',
      `workloads.setImages:checkout-canary:${OLD}`,
      'workloads.scale:checkout-canary:0',
      'store.release',
      `timer.cancel:${SAFETY}`,
    ]);
    expect(outcome.held).toBe(true);
    expect(outcome.undone[0]).toMatch(/shift all traffic to the stable target group/);
    expect(w.records.size).toBe(0);
  });

  it("Lock's own failure reads the record first and touches nothing that is not this execution's", async () => {
    // Prepare
    const w = world({ executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:checkout-rollout:other' });
    w.weights = { stable: 90, canary: 10 };

    // Act
    const outcome = await rollbackExecution(w, { targetKey: LISTENER_ARN, executionArn: EXECUTION_ARN, traffic: targetConfig().traffic, heldLock: false }, 'LockHeld');

    // Assess
    expect(outcome).toEqual({ held: false, undone: [], findings: [] });
    expect(w.journal).toEqual(['store.get']);
  });

  it('releases the lock and says so when there is nothing left to steer', async () => {
    // Prepare
    const w = world();
    w.targetGone = true;

    // Act
    const outcome = await rollbackExecution(w, { targetKey: LISTENER_ARN, executionArn: EXECUTION_ARN, traffic: targetConfig().traffic, heldLock: true }, 'DriftDetected');

    // Assess
    expect(outcome.undone[0]).toMatch(/nothing left to steer/);
    expect(outcome.findings).toEqual(['the rule is gone']);
    expect(w.records.size).toBe(0);
  });
});

describe('cleanup after a stop', () => {
  it('reverts traffic first, keeps the record ended and the canary running until the fence ends, and schedules the reassert there', async () => {
    // Prepare
    const w = world({ lastWrittenWeights: { stable: 90, canary: 10 } });
    w.weights = { stable: 90, canary: 10 };

    // Act
    await cleanupExecution(w, EXECUTION_ARN, 'ABORTED');

    // Assess
    const until = new Date(w.now.getTime() + 360_000);
    expect(w.mutations()).toEqual([
      'router.modify:restore',
      'store.end',
      'timer.scheduleSweep:reassert',
    ]);
    expect(w.records.get(LISTENER_ARN)).toMatchObject({ phase: 'ended', expiresAt: until.getTime() / 1000 });
    expect(w.schedules.get(reassertScheduleName(LISTENER_ARN, EXECUTION_ARN))).toEqual({
      at: until,
      request: { kind: 'reassert', executionArn: EXECUTION_ARN, targetKey: LISTENER_ARN, traffic: targetConfig().traffic },
    });
    // The safety schedule stays until the reassert releases the target.
    expect(w.journal).not.toContain(`timer.cancel:${SAFETY}`);
  });

  it('fences out a ShiftWeight that was still running: its late write never lands', async () => {
    // Prepare
    const w = world();
    w.afterGet = () => void cleanupExecution(w, EXECUTION_ARN, 'ABORTED');

    // Act
    const late = await shiftWeight(w, context(), STEP).catch((error: unknown) => error);

    // Assess
    expect(late).toMatchObject({ name: 'RecordMismatch' });
    expect(w.weights).toEqual({ stable: 100, canary: 0 });
  });
});

describe('sweeper', () => {
  const request = (kind: 'safety' | 'reassert') => ({ kind, executionArn: EXECUTION_ARN, targetKey: LISTENER_ARN, traffic: targetConfig().traffic });

  it('leaves a running rollout alone', async () => {
    // Prepare
    const w = world();

    // Act
    const outcome = await sweep(w, request('safety'));

    // Assess
    expect(outcome).toEqual({ checked: 1, swept: [] });
    expect(w.mutations()).toEqual([]);
  });

  it('cleans up an execution whose status event was lost, traffic first', async () => {
    // Prepare
    const w = world();
    w.weights = { stable: 90, canary: 10 };
    w.execution = 'ABORTED';

    // Act
    await sweep(w, request('safety'));

    // Assess
    expect(w.mutations()[0]).toBe('router.modify:restore');
    expect(w.records.get(LISTENER_ARN)?.phase).toBe('ended');
  });

  it.each<[string, (w: World) => Promise<unknown>]>([
    ['the reassert schedule', (w) => sweep(w, request('reassert'))],
    ['a safety sweep after the fence', (w) => ((w.now = new Date(w.now.getTime() + 400_000)), sweep(w, request('safety')))],
    ['an empty event after the fence', (w) => ((w.now = new Date(w.now.getTime() + 400_000)), sweep(w))],
  ])('%s reverts an ended rollout again, then releases it and deletes the safety schedule', async (_label, run) => {
    // Prepare
    const w = world();
    await cleanupExecution(w, EXECUTION_ARN, 'ABORTED');
    w.weights = { stable: 90, canary: 10 }; // a late write that passed its fence just before the end
    w.journal.length = 0;

    // Act
    await run(w);

    // Assess
    expect(w.mutations()).toEqual([
      'router.modify:restore',
      `workloads.setImages:checkout-canary:${OLD}`,
      'workloads.scale:checkout-canary:0',
      'store.release',
      `timer.cancel:${SAFETY}`,
    ]);
    expect(w.records.size).toBe(0);
  });

  it('does not release an ended record before its fence has passed', async () => {
    // Prepare
    const w = world();
    await cleanupExecution(w, EXECUTION_ARN, 'ABORTED');
    w.journal.length = 0;

    // Act
    await sweep(w, request('safety'));

    // Assess
    expect(w.mutations()).toEqual([]);
    expect(w.records.size).toBe(1);
  });

  it('only deletes its own safety schedule when a later rollout holds the target', async () => {
    // Prepare
    const w = world({ executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:checkout-rollout:later' });
    w.weights = { stable: 90, canary: 10 };

    // Act
    await sweep(w, request('reassert'));

    // Assess
    expect(w.mutations()).toEqual([`timer.cancel:${SAFETY}`]);
    expect(w.weights).toEqual({ stable: 90, canary: 10 });
  });
});

describe('the pre-shift alarm gate', () => {
  it('refuses to give the canary weight while an alarm is in ALARM, and writes nothing', async () => {
    // Prepare
    const w = world();
    w.alarms = [{ name: 'checkout-5xx', state: 'ALARM', reason: 'threshold crossed', updatedAt: '2025-03-01T12:09:00.000Z' }];

    // Act
    const result = await shiftWeight(w, context(), STEP).catch((error: unknown) => error);

    // Assess
    expect(result).toMatchObject({ name: 'CanaryUnhealthy' });
    expect((result as Error).message).toMatch(/refusing to shift step 1 to 10%: .*"checkout-5xx" is in ALARM/);
    expect(w.weights).toEqual({ stable: 100, canary: 0 });
  });

  it('refuses to give weight to a canary target group with no healthy targets', async () => {
    // Prepare
    const w = world();
    w.healthy = 0;

    // Act
    const result = await shiftWeight(w, context(), STEP).catch((error: unknown) => error);

    // Assess
    expect(result).toMatchObject({ name: 'NoHealthyTargets' });
    expect(w.weights).toEqual({ stable: 100, canary: 0 });
  });

  it('records when the weight was written: the step health window starts there', async () => {
    // Prepare
    const w = world();

    // Act
    await shiftWeight(w, context(), STEP);

    // Assess
    expect(w.records.get(LISTENER_ARN)).toMatchObject({ lastShiftAt: w.now.toISOString(), lastWrittenWeights: { stable: 90, canary: 10 } });
  });
});

describe('the end of a bake', () => {
  const baked = { lastWrittenWeights: { stable: 90, canary: 10 }, lastShiftAt: '2025-03-01T12:01:00.000Z', bake: { taskToken: 't', scheduleName: 's', stepIndex: 0, startedAt: '2025-03-01T12:01:30.000Z' } };

  it('reads the alarm history from the weight write, so an alarm that fired and recovered before the bake began fails the step', async () => {
    // Prepare
    const w = world(baked);
    w.weights = { stable: 90, canary: 10 };
    w.history = [{ name: 'checkout-5xx', at: '2025-03-01T12:01:10.000Z', from: 'OK', to: 'ALARM' }];

    // Act
    const result = await checkHealth(w, context(), STEP).catch((error: unknown) => error);

    // Assess
    expect(result).toMatchObject({ name: 'CanaryUnhealthy' });
    expect(w.journal).toContain('health.alarmHistory:2025-03-01T12:01:00.000Z');
  });

  it.each<['healthy' | 'unhealthy', boolean]>([
    ['unhealthy', false],
    ['healthy', true],
  ])('judges INSUFFICIENT_DATA at the end of a bake by the %s policy', async (policy, passes) => {
    // Prepare
    const w = world(baked);
    w.weights = { stable: 90, canary: 10 };
    w.alarms = [{ name: 'checkout-5xx', state: 'INSUFFICIENT_DATA', updatedAt: '2025-03-01T12:00:00.000Z' }];

    // Act
    const result = await checkHealth(w, context({ request: rolloutRequest({ images: { app: CANDIDATE }, insufficientData: policy }) }), STEP).catch(
      (error: unknown) => error,
    );

    // Assess
    expect(w.records.get(LISTENER_ARN)?.healthyThroughStep).toBe(passes ? 0 : undefined);
    if (!passes) expect(result).toMatchObject({ name: 'CanaryUnhealthy' });
  });

  it.each<[string, (w: World) => void, string, RegExp]>([
    ['re-imaged', (w) => w.deployments.set('checkout-canary', { images: { app: 'checkout:9.9.9' }, replicas: 2, available: 2 }), 'CanaryUnhealthy', /no longer runs the candidate: app=checkout:9.9.9 instead of checkout:1.4.2/],
    ['scaled to zero', (w) => w.deployments.set('checkout-canary', { images: { app: CANDIDATE }, replicas: 0, available: 0 }), 'CanaryUnhealthy', /0 of 0 replica\(s\) available \(scaled to zero\)/],
    ['short of replicas', (w) => w.deployments.set('checkout-canary', { images: { app: CANDIDATE }, replicas: 2, available: 1 }), 'CanaryUnhealthy', /1 of 2 replica\(s\) available/],
    ['without healthy targets', (w) => (w.healthy = 0), 'NoHealthyTargets', /its target group has no healthy targets/],
    ['steered by someone else', (w) => (w.weights = { stable: 999, canary: 1 }), 'DriftDetected', /found stable 999 \/ canary 1/],
  ])('fails the step when the canary was %s, with a named error', async (_label, prepare, name, message) => {
    // Prepare
    const w = world(baked);
    w.weights = { stable: 90, canary: 10 };
    prepare(w);

    // Act
    const result = await checkHealth(w, context(), STEP).catch((error: unknown) => error);

    // Assess
    expect(result).toMatchObject({ name });
    expect((result as Error).message).toMatch(message);
    expect(w.records.get(LISTENER_ARN)?.healthyThroughStep).toBeUndefined();
  });
});

describe("the end of a bake when the next step's ShiftWeight follows at once", () => {
  const baked = { lastWrittenWeights: { stable: 90, canary: 10 }, lastShiftAt: '2025-03-01T12:01:00.000Z', bake: { taskToken: 't', scheduleName: 's', stepIndex: 0, startedAt: '2025-03-01T12:01:30.000Z' } };
  const NOTHING_BETWEEN = { windowGate: false, afterStepHook: false };

  it("leaves the canary's targets to ShiftWeight's gate, which refuses the next step before any write", async () => {
    // Prepare
    const w = world(baked);
    w.weights = { stable: 90, canary: 10 };
    w.healthy = 0;

    // Act
    const checked = await checkHealth(w, context(), STEP, NOTHING_BETWEEN);
    const shifted = await shiftWeight(w, context(), LAST).catch((error: unknown) => error);

    // Assess
    expect(checked.status).toBe('healthy');
    expect(shifted).toMatchObject({ name: 'NoHealthyTargets', message: expect.stringMatching(/no healthy targets; refusing to send it 100% of traffic/) });
    expect(w.journal.filter((call) => call === 'router.healthyTargets')).toHaveLength(1);
    // The one read is ShiftWeight's, after CheckHealth recorded the step as healthy.
    expect(w.journal).toContain('store.update:phase,healthyThroughStep');
    expect(w.journal.indexOf('router.healthyTargets')).toBeGreaterThan(w.journal.indexOf('store.update:phase,healthyThroughStep'));
    expect(w.weights).toEqual({ stable: 90, canary: 10 });
    expect(w.mutations().filter((call) => call.startsWith('router.modify'))).toEqual([]);
  });

  it.each<[string, PlanStep, Partial<RolloutContext>, { windowGate: boolean; afterStepHook: boolean } | undefined]>([
    ['the last step (the promotion follows)', LAST, {}, NOTHING_BETWEEN],
    ['a step whose next step waits for an approval', STEP, { plan: { steps: [STEP, { ...LAST, approvalBefore: true }], approvalBeforePromote: false, maxDurationSeconds: 3600 } }, NOTHING_BETWEEN],
    ['a step followed by a deployment-window gate', STEP, {}, { windowGate: true, afterStepHook: false }],
    ['a step followed by an afterStep hook', STEP, {}, { windowGate: false, afterStepHook: true }],
    ['a step whose definition says nothing about what follows', STEP, {}, undefined],
  ])("reads the canary's targets itself at %s, and fails the step with NoHealthyTargets", async (_label, step, overrides, between) => {
    // Prepare
    const w = world({ ...baked, lastWrittenWeights: step === LAST ? { stable: 0, canary: 100 } : baked.lastWrittenWeights });
    w.weights = step === LAST ? { stable: 0, canary: 100 } : { stable: 90, canary: 10 };
    w.healthy = 0;

    // Act
    const result = await checkHealth(w, context(overrides), step, between).catch((error: unknown) => error);

    // Assess
    expect(result).toMatchObject({ name: 'NoHealthyTargets', message: expect.stringMatching(/its target group has no healthy targets/) });
    expect(w.journal).toContain('router.healthyTargets');
    expect(w.records.get(LISTENER_ARN)?.healthyThroughStep).toBeUndefined();
  });

  it('still reads the weights: someone setting exactly the next step\'s weights during the bake is drift, which ShiftWeight would take for its own retried write', async () => {
    // Prepare
    const w = world(baked);
    w.weights = { stable: 0, canary: 100 };

    // Act
    const result = await checkHealth(w, context(), STEP, NOTHING_BETWEEN).catch((error: unknown) => error);

    // Assess
    expect(result).toMatchObject({ name: 'DriftDetected', message: expect.stringMatching(/during the bake: found stable 0 \/ canary 100, serinus wrote stable 90 \/ canary 10/) });
    expect(w.records.get(LISTENER_ARN)?.healthyThroughStep).toBeUndefined();
  });

  it.each<[string, (w: World) => void, string]>([
    ['re-imaged', (w) => w.deployments.set('checkout-canary', { images: { app: 'checkout:9.9.9' }, replicas: 2, available: 2 }), 'CanaryUnhealthy'],
    ['short of replicas', (w) => w.deployments.set('checkout-canary', { images: { app: CANDIDATE }, replicas: 2, available: 1 }), 'CanaryUnhealthy'],
  ])('still checks the canary Deployment (%s)', async (_label, prepare, name) => {
    // Prepare
    const w = world(baked);
    w.weights = { stable: 90, canary: 10 };
    prepare(w);

    // Act
    const result = await checkHealth(w, context(), STEP, NOTHING_BETWEEN).catch((error: unknown) => error);

    // Assess
    expect(result).toMatchObject({ name });
    expect(w.journal).not.toContain('router.healthyTargets');
  });
});

describe('raw weights', () => {
  it("Finish does not skip an operator's 999/1: the drift guard sees it and nothing is released", async () => {
    // Prepare
    const w = world({ healthyThroughStep: 1, lastWrittenWeights: { stable: 0, canary: 100 } });
    w.weights = { stable: 999, canary: 1 };

    // Act
    const result = await finishRollout(w, context()).catch((error: unknown) => error);

    // Assess
    expect(result).toMatchObject({ name: 'DriftDetected' });
    expect(w.records.size).toBe(1);
  });

  it("Finish under onDrift adopt writes 100/0 over an operator's 999/1, then releases the lock and the safety schedule", async () => {
    // Prepare
    const w = world({ healthyThroughStep: 1, lastWrittenWeights: { stable: 0, canary: 100 } });
    w.weights = { stable: 999, canary: 1 };

    // Act
    await finishRollout(w, context({ target: targetConfig({ onDrift: 'adopt' }) }));

    // Assess
    expect(w.weights).toEqual({ stable: 100, canary: 0 });
    expect(w.records.size).toBe(0);
    expect(w.schedules.has(SAFETY)).toBe(false);
  });
});

describe('on-alarm', () => {
  const bake = { taskToken: 't', scheduleName: 's', stepIndex: 0, startedAt: '2025-03-01T12:05:00.000Z' };

  it.each<[string, Partial<RolloutRecord>, string | undefined, number]>([
    ['an event during the bake', { bake }, '2025-03-01T12:06:00.000Z', 1],
    ['an event without a timestamp', { bake }, undefined, 1],
    ['a replayed event from before the bake', { bake }, '2025-03-01T12:04:59.000Z', 0],
    ['an event for an ended rollout', { bake, endedAt: '2025-03-01T12:05:30.000Z' }, '2025-03-01T12:06:00.000Z', 0],
  ])('%s: fails the bake only when the event could judge it', async (_label, fields, timestamp, failed) => {
    // Prepare
    const w = world(fields);

    // Act
    const outcome = await onAlarm(w, { alarmName: 'checkout-5xx', state: 'ALARM', timestamp });

    // Assess
    expect(outcome).toEqual({ failedBakes: failed });
    expect(w.journal.filter((c) => c.startsWith('callbacks.fail'))).toHaveLength(failed);
  });
});

describe('the safety schedule after the lock is released', () => {
  it.each<[string, (w: World) => Promise<unknown>, Partial<RolloutRecord>]>([
    ['Finish', (w) => finishRollout(w, context()), { healthyThroughStep: 1, lastWrittenWeights: { stable: 0, canary: 100 } }],
    ['Rollback', (w) => rollbackExecution(w, { targetKey: LISTENER_ARN, executionArn: EXECUTION_ARN, traffic: targetConfig().traffic, heldLock: true }, 'why'), {}],
  ])('%s still succeeds when Scheduler cannot delete it: the lock is gone and the schedule deletes itself', async (_label, run, fields) => {
    // Prepare
    const w = world(fields);
    w.failing.add('timer.cancel');

    // Act
    const result = await run(w).catch((error: unknown) => error);

    // Assess
    expect(result).not.toBeInstanceOf(Error);
    expect(w.records.size).toBe(0);
    expect(w.weights).toEqual({ stable: 100, canary: 0 });
  });

  it('a safety schedule that outlived its lock deletes itself at its next run', async () => {
    // Prepare
    const w = world();
    w.records.clear();

    // Act
    await sweep(w, { kind: 'safety', executionArn: EXECUTION_ARN, targetKey: LISTENER_ARN, traffic: targetConfig().traffic });

    // Assess
    expect(w.mutations()).toEqual([`timer.cancel:${SAFETY}`]);
  });
});

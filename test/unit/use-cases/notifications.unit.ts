/**
 * What a rollout tells people and systems, against in-memory ports: one EventBridge event per
 * moment (started, step reached, awaiting approval, promoted, rolled back, aborted), the approval
 * gate's token on the record and its message in words, the CanaryWeight metric, and that a bus
 * that refuses never fails or holds back a rollout or its rollback.
 */
import type { PlanStep, RolloutRecord } from '../../../lambda/domain/types';
import { RecordMismatchError } from '../../../lambda/errors';
import { requestApproval } from '../../../lambda/use-cases/approval';
import type { RolloutContext } from '../../../lambda/use-cases/context';
import { promoteStable } from '../../../lambda/use-cases/deploy';
import { finishRollout } from '../../../lambda/use-cases/finish';
import { acquireLock } from '../../../lambda/use-cases/lock';
import { cleanupExecution, rollbackExecution, sweep } from '../../../lambda/use-cases/rollback';
import { shiftWeight } from '../../../lambda/use-cases/traffic';
import { EXECUTION_ARN, LISTENER_ARN, rolloutRequest, targetConfig } from '../../support/fixtures';
import { CANDIDATE, OLD, World, midRollout } from './memory-ports';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:serinus-approvals';
const STEP: PlanStep = { index: 0, weight: 10, bakeSeconds: 300, approvalBefore: true, timeoutSeconds: 900 };
const LAST: PlanStep = { index: 1, weight: 100, bakeSeconds: 0, approvalBefore: false, timeoutSeconds: 600 };

function context(overrides: Partial<RolloutContext> = {}): RolloutContext {
  return {
    executionArn: EXECUTION_ARN,
    targetKey: LISTENER_ARN,
    target: targetConfig({ timing: { settleSeconds: 15, readyTimeoutSeconds: 600, pollSeconds: 10, approvalTimeoutSeconds: 86_400 } }),
    request: rolloutRequest({ images: { app: CANDIDATE }, reason: 'release 1.4.2' }),
    plan: { steps: [STEP, LAST], approvalBeforePromote: true, maxDurationSeconds: 3600 },
    stepCount: 2,
    ...overrides,
  };
}

const world = (fields: Partial<RolloutRecord> = {}): World =>
  midRollout({ request: rolloutRequest({ images: { app: CANDIDATE }, reason: 'release 1.4.2' }), ...fields });

const HELD = { targetKey: LISTENER_ARN, executionArn: EXECUTION_ARN, traffic: targetConfig().traffic, heldLock: true };

describe('one event per moment of a rollout', () => {
  it('Lock: Rollout Started, with the release reason and the weights at the start', async () => {
    // Prepare
    const w = new World();

    // Act
    await acquireLock(w, context());

    // Assess
    expect(w.published).toEqual([
      {
        detailType: 'Rollout Started',
        detail: {
          service: 'checkout',
          executionArn: EXECUTION_ARN,
          weights: { stable: 100, canary: 0 },
          images: { candidate: CANDIDATE },
          reason: 'release 1.4.2',
          summary: `serinus checkout: rollout of ${CANDIDATE} started (release 1.4.2).`,
        },
      },
    ]);
  });

  it('ShiftWeight: Rollout Step Reached with the step number and the written weights, after the write', async () => {
    // Prepare
    const w = world();

    // Act
    await shiftWeight(w, context(), STEP);

    // Assess
    expect(w.published).toEqual([
      expect.objectContaining({ detailType: 'Rollout Step Reached', detail: expect.objectContaining({ step: 1, weights: { stable: 90, canary: 10 } }) }),
    ]);
    expect(w.journal.indexOf('events.publish:Rollout Step Reached')).toBeGreaterThan(w.journal.indexOf('router.modify:90/10'));
  });

  it('Finish: Rollout Promoted, naming the image stable ran before', async () => {
    // Prepare
    const w = world({ healthyThroughStep: 1, lastWrittenWeights: { stable: 0, canary: 100 }, previousStable: { images: { app: OLD }, replicas: 4 } });
    w.weights = { stable: 0, canary: 100 };

    // Act
    await finishRollout(w, context());

    // Assess
    expect(w.published).toEqual([
      expect.objectContaining({
        detailType: 'Rollout Promoted',
        detail: expect.objectContaining({ weights: { stable: 100, canary: 0 }, images: { candidate: CANDIDATE, stable: OLD } }),
      }),
    ]);
  });

  it('Rollback: Rollout Rolled Back with the cause and the alarm that fired, as its last call', async () => {
    // Prepare
    const w = world({ lastWrittenWeights: { stable: 90, canary: 10 } });
    w.weights = { stable: 90, canary: 10 };

    // Act
    await rollbackExecution(w, HELD, 'CanaryUnhealthy: alarm "checkout-5xx" went to ALARM during the bake of step 1');

    // Assess
    expect(w.published).toEqual([
      expect.objectContaining({
        detailType: 'Rollout Rolled Back',
        detail: expect.objectContaining({
          weights: { stable: 100, canary: 0 },
          reason: 'CanaryUnhealthy: alarm "checkout-5xx" went to ALARM during the bake of step 1',
          alarm: 'checkout-5xx',
        }),
      }),
    ]);
    expect(w.journal.at(-1)).toBe('events.publish:Rollout Rolled Back');
  });

  it.each([
    ['ABORTED', 'Rollout Aborted'],
    ['TIMED_OUT', 'Rollout Rolled Back'],
    ['FAILED', 'Rollout Rolled Back'],
  ])('Cleanup of an execution that ended %s: %s', async (status, detailType) => {
    // Prepare
    const w = world({ lastWrittenWeights: { stable: 90, canary: 10 } });
    w.weights = { stable: 90, canary: 10 };

    // Act
    await cleanupExecution(w, EXECUTION_ARN, status);

    // Assess
    expect(w.published.map((e) => [e.detailType, e.detail.reason])).toEqual([[detailType, `execution ended ${status}`]]);
  });

  it('the sweeper, finding an execution ABORTED without its event: Rollout Aborted', async () => {
    // Prepare
    const w = world();
    w.execution = 'ABORTED';

    // Act
    await sweep(w, { kind: 'safety', executionArn: EXECUTION_ARN, targetKey: LISTENER_ARN, traffic: targetConfig().traffic });

    // Assess
    expect(w.published.map((e) => e.detailType)).toEqual(['Rollout Aborted']);
  });

  it('goes to the bus the target names', async () => {
    // Prepare
    const w = new World();

    // Act
    await acquireLock(w, context({ target: { ...context().target, eventBusName: 'platform' } }));

    // Assess
    expect(w.published[0]!.eventBusName).toBe('platform');
  });
});

describe('a bus that refuses the event', () => {
  it('does not fail or hold back a rollback: traffic, record and lock are undone, the outcome returned', async () => {
    // Prepare
    const w = world({ lastWrittenWeights: { stable: 90, canary: 10 } });
    w.weights = { stable: 90, canary: 10 };
    w.failing.add('events.publish');

    // Act
    const outcome = await rollbackExecution(w, HELD, 'CanaryUnhealthy: boom');

    // Assess
    expect(outcome.held).toBe(true);
    expect(w.weights).toEqual({ stable: 100, canary: 0 });
    expect(w.records.has(LISTENER_ARN)).toBe(false);
    // The event comes after every step of the revert, so a slow bus delays none of them.
    expect(w.journal.at(-1)).toBe('events.publish:Rollout Rolled Back');
  });

  it.each([
    ['Lock', (w: World) => acquireLock(w, context())],
    ['ShiftWeight', (w: World) => shiftWeight(w, context(), STEP)],
    ['Cleanup', (w: World) => cleanupExecution(w, EXECUTION_ARN, 'ABORTED')],
  ])('does not fail %s', async (_name, run) => {
    // Prepare
    const w = _name === 'Lock' ? new World() : world();
    w.failing.add('events.publish');

    // Act
    const result = run(w);

    // Assess
    await expect(result).resolves.toBeDefined();
    expect(w.journal).toContainEqual(expect.stringMatching(/^events\.publish:/));
  });
});

describe('requestApproval', () => {
  it('puts the token on the record with a fenced write, then tells people and publishes Awaiting Approval', async () => {
    // Prepare
    const w = world({ lastWrittenWeights: { stable: 100, canary: 0 } });

    // Act
    await requestApproval(w, context(), { gate: 'step', step: STEP }, TOPIC, 'token-1');

    // Assess
    expect(w.records.get(LISTENER_ARN)!.approval).toEqual({ token: 'token-1', gate: 'step', step: 1, requestedAt: w.now.toISOString() });
    expect(w.journal.filter((c) => /^(store\.(fence|update)|notifier|events)/.test(c))).toEqual([
      'store.fence',
      'store.update:approval',
      'notifier.notify',
      'events.publish:Rollout Awaiting Approval',
    ]);
    expect(w.published[0]!.detail).toMatchObject({ step: 1, weights: { stable: 100, canary: 0 }, images: { candidate: CANDIDATE } });
  });

  it('says in words what is approved, the traffic now, and the one command that answers it', async () => {
    // Prepare
    const w = world({ lastWrittenWeights: { stable: 90, canary: 10 } });

    // Act
    await requestApproval(w, context(), { gate: 'step', step: { ...LAST, index: 1 } }, TOPIC, 'token-1');
    await requestApproval(w, context(), { gate: 'promotion' }, TOPIC, 'token-2');

    // Assess
    const [step, promotion] = w.notified;
    expect(step).toMatchObject({ topicArn: TOPIC, subject: 'serinus checkout: approve step 2?' });
    expect(step!.message).toContain(`to send 100% of traffic to the canary running app=${CANDIDATE} (step 2 of 2)`);
    expect(promotion!.subject).toBe('serinus checkout: approve promotion?');
    expect(promotion!.message).toContain(`to promote app=${CANDIDATE} to the stable Deployment "checkout"`);
    for (const { message } of [step!, promotion!]) {
      expect(message).toContain('Traffic now: stable 90 / canary 10.');
      expect(message).toContain('Approve: serinus approve checkout');
      expect(message).toContain('Reject:  serinus reject checkout --reason "<why>"');
      expect(message).toContain('Without an answer within 24 h the rollout rolls back.');
      expect(message).not.toMatch(/token/);
    }
  });

  it('asks nobody for a rollout that was stopped: the fence refuses, nothing is published', async () => {
    // Prepare
    const w = world();
    w.afterGet = () => w.endRecord(LISTENER_ARN);

    // Act
    const result = requestApproval(w, context(), { gate: 'promotion' }, TOPIC, 'token-1');

    // Assess
    await expect(result).rejects.toBeInstanceOf(RecordMismatchError);
    expect(w.notified).toEqual([]);
    expect(w.published).toEqual([]);
  });

  it('the answered approval leaves the record when the rollout moves on (ShiftWeight, PromoteStable)', async () => {
    // Prepare
    const approval = { token: 'token-1', gate: 'step' as const, step: 1, requestedAt: '2025-03-01T12:00:00.000Z' };
    const shifting = world({ approval });
    const promoting = world({ approval: { ...approval, gate: 'promotion' }, healthyThroughStep: 1 });

    // Act
    await shiftWeight(shifting, context(), STEP);
    await promoteStable(promoting, context());

    // Assess
    expect(shifting.records.get(LISTENER_ARN)!.approval).toBeUndefined();
    expect(promoting.records.get(LISTENER_ARN)!.approval).toBeUndefined();
  });
});

describe('the CanaryWeight metric', () => {
  let written: string[];
  let restore: () => void;

  beforeEach(() => {
    written = [];
    process.env.POWERTOOLS_METRICS_DISABLED = 'false';
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    restore = () => {
      spy.mockRestore();
      process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    };
  });

  afterEach(() => restore());

  const weightMetrics = () =>
    written
      .filter((line) => line.includes('"CanaryWeight"'))
      .map((line) => JSON.parse(line) as { _aws: { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][] }> }; Service: string; CanaryWeight: number });

  it('is written in embedded metric format on every weight change: Serinus / CanaryWeight / Service', async () => {
    // Prepare
    const w = world({ lastWrittenWeights: { stable: 90, canary: 10 } });
    w.weights = { stable: 90, canary: 10 };

    // Act
    await shiftWeight(w, context(), LAST);
    await rollbackExecution(w, HELD, 'CanaryUnhealthy: boom');

    // Assess
    const metrics = weightMetrics();
    expect(metrics.map((m) => m.CanaryWeight)).toEqual([100, 0]);
    expect(metrics[0]!._aws.CloudWatchMetrics).toEqual([
      { Namespace: 'Serinus', Dimensions: [['Service']], Metrics: [{ Name: 'CanaryWeight', Unit: 'Percent' }] },
    ]);
    expect(metrics[0]!.Service).toBe('checkout');
  });
});

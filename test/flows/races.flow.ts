/**
 * Races on one traffic target: executions started at once, and a new execution
 * against a rollout that ended but is still inside its fence period.
 */
import { CANDIDATE, STABLE, expectEndInvariants, holdBake, startFlow, steps, type Flow } from './flow-support';
import { liveWeights, stableImage } from './edits-support';
import { albTarget } from '../../lambda/adapters/alb-target';

const N = 5;

let flow: Flow;

afterEach(async () => {
  await flow?.close();
});

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

describe(`${N} executions started on one target at once`, () => {
  it('exactly one takes the lock and promotes; the others fail with LockHeld naming it and change nothing', async () => {
    // Prepare: every execution is inside Lock before any of them writes.
    flow = await startFlow();
    const locks = Array.from({ length: N }, () => flow.engine.holdInvocation({ state: 'Lock', at: 'start' }));
    const images = Array.from({ length: N }, (_, i) => `registry.local/app:2.0.${i}`);
    const executions = images.map((image, i) => flow.engine.start({ image, steps: steps(10, 100) }, `racer-${i}`));
    await Promise.all(locks.map((lock) => lock.reached));

    // Act
    for (const lock of locks) lock.release();
    const outcomes = await Promise.all(executions.map((execution) => execution.outcome));

    // Assess
    const winners = outcomes.flatMap((outcome, i) => (outcome.status === 'SUCCEEDED' ? [i] : []));
    expect(winners).toHaveLength(1);
    const winner = winners[0]!;
    const winnerArn = executions[winner]!.executionArn;
    for (const [i, outcome] of outcomes.entries()) {
      if (i === winner) continue;
      expect(outcome).toMatchObject({ status: 'FAILED', error: 'LockHeld', cleanup: { held: false, undone: [] } });
      expect(outcome.cause).toMatch(new RegExp(`is locked by execution ${escape(winnerArn)}`));
      expect(outcome.states).toEqual(['Validate', 'DryRun?', 'Lock', 'LockRefused']);
    }
    // The losers changed nothing: every write was the winner's.
    expect(flow.observer.canaryWeights()).toEqual([10, 100, 0]);
    const { namespace, canaryDeployment } = flow.engine.target.workload;
    const canaryImages = new Set(flow.observer.deployments.filter((d) => d.deployment === 'canary').map((d) => d.images.app));
    expect([...canaryImages].sort()).toEqual([images[winner], STABLE].sort());
    expect(flow.observer.stableImages()).toEqual([STABLE, images[winner]]);
    expect(flow.engine.kube.deployment(namespace, canaryDeployment).spec.replicas).toBe(0);
    // Each racer tried the lock exactly once; one conditional write went through.
    const lockWrites = flow.engine.aws.calls.filter((c) => c.service === 'dynamodb' && c.command === 'PutCommand');
    expect(lockWrites).toHaveLength(N);
    expect(flow.engine.aws.calls.filter((c) => c.command === 'CreateSchedule' && JSON.stringify(c.input).includes('serinus-safety-'))).toHaveLength(1);
    await expectEndInvariants(flow, outcomes[winner]!, [10, 100]);
  });
});

describe('a rollout that ended inside its fence period', () => {
  it('refuses a new execution with LockHeld while the record is ended and fenced; after the fence a new one proceeds', async () => {
    // Prepare: a rollout stopped mid-bake; cleanup reverts it and keeps the record ended, fenced.
    flow = await startFlow();
    const bake = holdBake(flow, 0);
    const stopped = flow.engine.start({ image: CANDIDATE, steps: steps(10, 100) }, 'stopped');
    await bake.running;
    stopped.abort();
    const stoppedOutcome = await stopped.outcome;
    // The stopped bake's schedule is gone; the hold must not catch the next rollout's first bake.
    bake.release();
    await flow.engine.idle();
    expect(stoppedOutcome).toMatchObject({ status: 'ABORTED', cleanup: { held: true } });
    const [record] = flow.engine.aws.dynamodb.items('serinus-rollouts') as Array<{ executionArn: string; endedAt?: string; expiresAt: number }>;
    expect(record).toMatchObject({ executionArn: stopped.executionArn, endedAt: expect.any(String) });
    expect(record!.expiresAt * 1000).toBeGreaterThan(Date.now());
    const callsBefore = flow.engine.aws.mutatingCalls().length;

    // Act 1: a new execution inside the fence period.
    const early = await flow.engine.start({ image: 'registry.local/app:3.0.0', steps: steps(20, 100) }, 'early').outcome;

    // Assess 1
    expect(early).toMatchObject({ status: 'FAILED', error: 'LockHeld', cleanup: { held: false, undone: [] } });
    expect(early.cause).toMatch(new RegExp(`is locked by execution ${escape(stopped.executionArn)}`));
    expect(early.cause).toMatch(/which ended at .*; its revert is asserted again and the lock released at .*\. Start the rollout again after that\./);
    expect(early.states).toEqual(['Validate', 'DryRun?', 'Lock', 'LockRefused']);
    // Its refused conditional write is its only mutating call.
    expect(flow.engine.aws.mutatingCalls().slice(callsBefore).map((c) => `${c.service}:${c.command}`)).toEqual(['dynamodb:PutCommand']);
    expect(flow.engine.aws.dynamodb.items('serinus-rollouts')).toEqual([expect.objectContaining({ executionArn: stopped.executionArn })]);

    // Act 2: the fence passes (the reassert fires, reverts again and releases), then a new execution.
    await flow.engine.passFence();
    expect(flow.engine.aws.dynamodb.items('serinus-rollouts')).toEqual([]);
    const late = await flow.engine.start({ image: 'registry.local/app:3.0.0', steps: steps(20, 100) }, 'late').outcome;

    // Assess 2
    expect(late).toMatchObject({ status: 'SUCCEEDED', output: { result: 'promoted' } });
    expect(stableImage(flow)).toBe('registry.local/app:3.0.0');
    expect(flow.observer.canaryWeights()).toEqual([10, 0, 20, 100, 0]);
    expect(liveWeights(flow)).toEqual({ [albTarget(flow.engine.target.traffic).stableTargetGroupArn]: 100, [albTarget(flow.engine.target.traffic).canaryTargetGroupArn]: 0 });
    await expectEndInvariants(flow, late, [10, 20, 100]);
  });
});

/**
 * The gradual rollback's walk down (`walkDown` through `rollbackExecution`), against in-memory
 * ports: the weights it writes, when it does not walk, and that the instant restore always follows.
 */
import type { RollbackPace } from '../../../lambda/domain/types';
import { ErrorNames } from '../../../lambda/errors';
import { type RollbackDeps, rollbackExecution } from '../../../lambda/use-cases/rollback';
import { EXECUTION_ARN, LISTENER_ARN, targetConfig } from '../../support/fixtures';
import { type World, midRollout } from './memory-ports';

const PACE: RollbackPace = { steps: 4, intervalSeconds: 10, evenOnAlarm: false };

/** The world's ports, with the walk's pauses recorded instead of slept; `onSleep` runs at each. */
function deps(w: World, onSleep: (call: number) => void = () => undefined): RollbackDeps & { slept: number[] } {
  const slept: number[] = [];
  return {
    store: w.store,
    router: w.router,
    workloads: w.workloads,
    timer: w.timer,
    clock: w.clock,
    fenceSeconds: w.fenceSeconds,
    events: w.events,
    slept,
    sleep: async (ms) => {
      slept.push(ms);
      onSleep(slept.length);
    },
  };
}

function rollback(d: RollbackDeps, pace: RollbackPace | undefined, error: string) {
  const args = { targetKey: LISTENER_ARN, executionArn: EXECUTION_ARN, traffic: targetConfig().traffic, heldLock: true, ...(pace && { pace }), error };
  return rollbackExecution(d, args, error);
}

/** The traffic writes as `stable/canary`, in order (`restore` is the instant revert). */
function trafficWrites(w: World): string[] {
  return w.journal.filter((call) => call.startsWith('router.modify')).map((call) => call.slice('router.modify:'.length));
}

function midRolloutAt(canary: number): World {
  const w = midRollout({ lastWrittenWeights: { stable: 100 - canary, canary } });
  w.weights = { stable: 100 - canary, canary };
  return w;
}

describe('gradual rollback', () => {
  it.each<[string, RollbackPace | undefined, string, string[]]>([
    ['4 steps from 50: three equal writes down, then the restore', PACE, 'BakeTimedOut', ['63/37', '75/25', '88/12', 'restore']],
    ['no pace: the restore alone', undefined, 'BakeTimedOut', ['restore']],
    ['a failing canary (alarm): at once', PACE, ErrorNames.CanaryUnhealthy, ['restore']],
    ['no healthy canary targets: at once', PACE, ErrorNames.NoHealthyTargets, ['restore']],
    ['a failing canary with evenOnAlarm: walks down', { ...PACE, evenOnAlarm: true }, ErrorNames.CanaryUnhealthy, ['63/37', '75/25', '88/12', 'restore']],
    ['2 steps from 50: one write, then the restore', { ...PACE, steps: 2 }, 'BakeTimedOut', ['75/25', 'restore']],
  ])('%s', async (_name, pace, error, writes) => {
    // Prepare
    const w = midRolloutAt(50);
    const d = deps(w);

    // Act
    const outcome = await rollback(d, pace, error);

    // Assess
    expect(trafficWrites(w)).toEqual(writes);
    expect(w.weights).toEqual({ stable: 100, canary: 0 });
    expect(d.slept).toEqual(Array(writes.length - 1).fill(10_000));
    expect(outcome.held).toBe(true);
    if (writes.length > 1) expect(outcome.undone[0]).toMatch(/^walk the canary's weight down \(/);
  });

  it('fences every write of the walk immediately before it', async () => {
    // Prepare
    const w = midRolloutAt(50);

    // Act
    await rollback(deps(w), PACE, 'BakeTimedOut');

    // Assess
    const mutations = w.mutations();
    const walkWrites = mutations.flatMap((call, index) => (/^router\.modify:\d+\/\d+$/.test(call) ? [index] : []));
    expect(walkWrites).toHaveLength(3);
    for (const index of walkWrites) expect(mutations[index - 1]).toBe('store.fence');
  });

  it('restores at once when the fence fails mid-walk (cleanup took over)', async () => {
    // Prepare: after the first write, a stop's cleanup ends the record.
    const w = midRolloutAt(50);
    const d = deps(w, (call) => {
      if (call === 1) w.endRecord(LISTENER_ARN);
    });

    // Act
    await rollback(d, PACE, 'BakeTimedOut');

    // Assess
    expect(trafficWrites(w)).toEqual(['63/37', 'restore']);
    expect(w.mutations().slice(0, 4)).toEqual(['store.fence', 'router.modify:63/37', 'store.fence', 'router.modify:restore']);
    expect(w.weights).toEqual({ stable: 100, canary: 0 });
  });

  it('does not walk a live split serinus did not write (stable + canary ≠ 100)', async () => {
    // Prepare
    const w = midRolloutAt(50);
    w.weights = { stable: 70, canary: 50 };

    // Act
    await rollback(deps(w), PACE, 'BakeTimedOut');

    // Assess
    expect(trafficWrites(w)).toEqual(['restore']);
  });

  it('does not walk a rollout this execution no longer holds', async () => {
    // Prepare
    const w = midRolloutAt(50);
    w.endRecord(LISTENER_ARN);

    // Act
    await rollback(deps(w), PACE, 'BakeTimedOut');

    // Assess
    expect(trafficWrites(w)).toEqual(['restore']);
  });

  it('never walks up: a live share below a step is left for the restore', async () => {
    // Prepare
    const w = midRolloutAt(50);
    const d = deps(w, (call) => {
      // Someone halves the canary's share after the first write.
      if (call === 1) w.weights = { stable: 80, canary: 20 };
    });

    // Act
    await rollback(d, PACE, 'BakeTimedOut');

    // Assess
    expect(trafficWrites(w)).toEqual(['63/37', 'restore']);
  });
});

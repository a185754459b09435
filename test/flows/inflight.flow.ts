/**
 * Stops with a handler still running. Step Functions does not wait for a running
 * Lambda when an execution is stopped: the status event reaches cleanup while the handler is
 * mid-call. Each mutating handler is held at two points while the stop and cleanup happen:
 *
 * - before its fence check: the late call is refused, and nothing it would have written changes;
 * - after its fence passed, before its write lands: the write lands after cleanup, and the reassert
 *   schedule (held until the fence period has passed, `engine.passFence()`) puts everything back.
 *
 * Then the stop mid-retry, and the status event delivered twice, late and never. After each: raw
 * weights 100/0, the lock released, the canary scaled back, stable on its one right image, and no
 * schedule left but the expected ones.
 */
import type { LocalExecution } from '../../local/local-engine';
import { CANDIDATE, STABLE, expectEndInvariants, holdBake, startFlow, type Flow } from './flow-support';

let flow: Flow;

afterEach(async () => {
  await flow?.close();
});

const PLAN = [10, 100];
const INPUT = { image: CANDIDATE, steps: [{ weight: 10, bakeSeconds: 60 }, { weight: 100, bakeSeconds: 60 }] };

/** The fence's conditional write (DynamoDbRolloutStore.fence): only it sets the generation alone. */
const isFence = (input: { UpdateExpression?: string }) => input.UpdateExpression === 'SET #generation = :next, #fencedBy = :nonce';

function deploymentPath(which: 'stable' | 'canary'): string {
  const { namespace, stableDeployment, canaryDeployment } = flow.engine.target.workload;
  return `/apis/apps/v1/namespaces/${namespace}/deployments/${which === 'stable' ? stableDeployment : canaryDeployment}`;
}

function imageOf(which: 'stable' | 'canary'): string {
  const { namespace, stableDeployment, canaryDeployment } = flow.engine.target.workload;
  return flow.engine.kube.deployment(namespace, which === 'stable' ? stableDeployment : canaryDeployment).spec.template.spec.containers[0]!.image;
}

function canaryReplicas(): number {
  const { namespace, canaryDeployment } = flow.engine.target.workload;
  return flow.engine.kube.deployment(namespace, canaryDeployment).spec.replicas;
}

function modifyCommand(): string {
  return flow.engine.target.traffic.ruleArn ? 'ModifyRule' : 'ModifyListener';
}

/** A listener write that gives the canary this raw weight. */
function writesCanary(weight: number) {
  const { canaryTargetGroupArn } = flow.engine.target.traffic;
  return (input: object) => JSON.stringify(input).includes(`"TargetGroupArn":"${canaryTargetGroupArn}","Weight":${weight}`);
}

/** What a late handler could change: traffic, both Deployments, the record, the schedules. */
function world() {
  const { namespace, stableDeployment, canaryDeployment } = flow.engine.target.workload;
  const spec = (name: string) => {
    const { replicas, template } = flow.engine.kube.deployment(namespace, name).spec;
    return { replicas, images: template.spec.containers.map((c) => c.image) };
  };
  return {
    weights: flow.observer.currentWeights(),
    stable: spec(stableDeployment),
    canary: spec(canaryDeployment),
    records: flow.engine.aws.dynamodb.items('serinus-rollouts'),
    schedules: flow.engine.aws.scheduler.pending().map((s) => s.name),
  };
}

interface Held {
  readonly reached: Promise<unknown>;
  release(): void;
}

interface InFlightCase {
  /** The workflow state whose handler is held. */
  readonly state: string;
  /** Makes the workflow reach the state (an alarm, a stuck promotion). */
  arrange?(): Promise<void> | void;
  /** Holds the handler's write, after its fence passed, before the write lands. */
  write(): Held;
  /** What the late write left behind, before the reassert (undefined: indistinguishable from cleanup's). */
  landed?(): void;
  /**
   * Fence checks to hold the handler before: the n-th fence it sends (1-based), guarding `write`,
   * and what the world shows while it is held (the write has not happened).
   */
  readonly fences: ReadonlyArray<{ readonly write: string; readonly fence: number; unwritten(): void }>;
  /** The late handler's error once its write landed (its next fence refuses it), if any. */
  readonly lateError?: string;
  /** The only right stable image at the end. */
  readonly stableImage: string;
}

/** The first bake's alarm event fails it: Rollback runs with the canary at 10. */
async function alarmDuringFirstBake(): Promise<void> {
  const bake = holdBake(flow, 0);
  void bake.running.then(() => flow.engine.aws.cloudwatch.setState(flow.engine.target.alarmNames[0]!, 'ALARM', 'failing'));
}

const CASES: InFlightCase[] = [
  {
    state: 'ShiftWeight',
    fences: [{ write: 'the listener write of 10', fence: 1, unwritten: () => expect(flow.observer.currentWeights()).toEqual({ stable: 100, canary: 0 }) }],
    write: () => flow.engine.aws.hold({ command: modifyCommand(), match: writesCanary(10) }),
    landed: () => expect(flow.observer.currentWeights()).toEqual({ stable: 90, canary: 10 }),
    lateError: 'RecordMismatch',
    stableImage: STABLE,
  },
  {
    state: 'DeployCanary',
    fences: [
      { write: 'the canary image', fence: 2, unwritten: () => expect(imageOf('canary')).toBe(STABLE) },
      { write: 'the canary scale-up', fence: 3, unwritten: () => expect(canaryReplicas()).toBe(0) },
    ],
    write: () => flow.engine.kube.hold({ method: 'PATCH', path: deploymentPath('canary') }),
    landed: () => expect(imageOf('canary')).toBe(CANDIDATE),
    lateError: 'RecordMismatch',
    stableImage: STABLE,
  },
  {
    // The late write puts the candidate on stable after cleanup restored the old image.
    state: 'PromoteStable',
    fences: [{ write: 'the stable image', fence: 2, unwritten: () => expect(imageOf('stable')).toBe(STABLE) }],
    write: () => flow.engine.kube.hold({ method: 'PATCH', path: deploymentPath('stable') }),
    landed: () => expect(imageOf('stable')).toBe(CANDIDATE),
    stableImage: STABLE,
  },
  {
    state: 'RestoreStable',
    fences: [{ write: 'the stable image restore', fence: 1, unwritten: () => expect(imageOf('stable')).toBe(CANDIDATE) }],
    arrange: () => flow.engine.kube.failNextRollout(flow.engine.target.workload.namespace, flow.engine.target.workload.stableDeployment),
    write: () => flow.engine.kube.hold({ method: 'PATCH', path: deploymentPath('stable') }),
    stableImage: STABLE,
  },
  {
    // Finish's first write: all traffic to stable, while the canary still holds 100.
    state: 'Finish',
    fences: [
      { write: 'the listener write to stable', fence: 2, unwritten: () => expect(flow.observer.currentWeights()).toEqual({ stable: 0, canary: 100 }) },
      { write: 'the canary scale-down', fence: 4, unwritten: () => expect(canaryReplicas()).toBeGreaterThan(0) },
    ],
    write: () => flow.engine.aws.hold({ command: modifyCommand(), match: writesCanary(0) }),
    lateError: 'RecordMismatch',
    // Cleanup ran while the record held the promotion: stable gets its previous image back.
    stableImage: STABLE,
  },
  {
    state: 'Rollback',
    fences: [],
    arrange: alarmDuringFirstBake,
    write: () => flow.engine.kube.hold({ method: 'PATCH', path: new RegExp(`^${deploymentPath('canary')}(/scale)?$`) }),
    stableImage: STABLE,
  },
];

/** Starts the rollout and stops it with the handler of `state` held where `hold` holds it. */
async function stopWhileHeld(
  state: string,
  hold?: () => Held,
  atHold?: () => void,
): Promise<{ execution: LocalExecution; late: Held; cleaned: ReturnType<typeof world> }> {
  const entered = flow.engine.holdInvocation({ state, at: 'start' });
  const execution = flow.engine.start(INPUT);
  await entered.reached;
  // Without `hold`, the handler stays where it is: started, before its first call.
  const late = hold?.() ?? entered;
  if (hold) entered.release();
  await late.reached;
  atHold?.();
  execution.abort();
  await execution.outcome;
  return { execution, late, cleaned: world() };
}

function lateInvocation(state: string) {
  const invocations = flow.engine.invocations.filter((i) => i.state === state);
  expect(invocations).toHaveLength(1);
  return invocations[0]!;
}

describe.each(CASES.map((c) => [c.state, c] as const))('%s in flight when the execution is stopped', (state, c) => {
  if (state !== 'Rollback') {
    it('held before its first call: the late call stops at its record read, which says the rollout ended', async () => {
      // Prepare
      flow = await startFlow();
      await c.arrange?.();

      // Act
      const { execution, late, cleaned } = await stopWhileHeld(state);
      const outcome = await execution.outcome;
      const calls = flow.engine.aws.calls.length;
      const requests = flow.engine.kube.requests.length;
      late.release();
      await flow.engine.idle();

      // Assess
      expect(outcome).toMatchObject({ status: 'ABORTED', cleanup: { held: true } });
      expect(lateInvocation(state).error).toBe('RecordMismatch');
      expect(world()).toEqual(cleaned);
      // Nothing but the record read: no other read, no fence attempt, no write.
      expect(new Set(flow.engine.aws.calls.slice(calls).map((call) => `${call.service}:${call.command}`))).toEqual(new Set(['dynamodb:GetCommand']));
      expect(flow.engine.kube.requests.slice(requests)).toEqual([]);
      await expectEndInvariants(flow, outcome, PLAN, { stableImage: c.stableImage });
    });

    it.each(c.fences.map((f) => [f.write, f] as const))('held before the fence check of %s: the late call is refused and writes nothing', async (_, f) => {
      // Prepare
      flow = await startFlow();
      await c.arrange?.();
      let fences = 0;

      // Act
      const { execution, late, cleaned } = await stopWhileHeld(state, () =>
        flow.engine.aws.hold({ command: 'UpdateCommand', match: (input: { UpdateExpression?: string }) => isFence(input) && ++fences === f.fence }),
        f.unwritten,
      );
      const outcome = await execution.outcome;
      expect(lateInvocation(state).endedAt).toBeUndefined();
      const calls = flow.engine.aws.calls.length;
      const requests = flow.engine.kube.requests.length;
      late.release();
      await flow.engine.idle();

      // Assess
      expect(outcome).toMatchObject({ status: 'ABORTED', cleanup: { held: true } });
      expect(lateInvocation(state).error).toBe('RecordMismatch');
      expect(world()).toEqual(cleaned);
      // After its refused fence, the late handler sent no write at all.
      expect(flow.engine.aws.calls.slice(calls).filter((call) => call.mutating && call.error === undefined)).toEqual([]);
      expect(flow.engine.kube.requests.slice(requests).filter((request) => request.method !== 'GET')).toEqual([]);
      await expectEndInvariants(flow, outcome, PLAN, { stableImage: c.stableImage });
    });
  } else {
    it('held before its first call: the late rollback only reverts what cleanup reverted', async () => {
      // Prepare
      flow = await startFlow();
      await c.arrange?.();

      // Act
      const { execution, late, cleaned } = await stopWhileHeld(state);
      const outcome = await execution.outcome;
      late.release();
      await flow.engine.idle();

      // Assess
      expect(outcome).toMatchObject({ status: 'ABORTED', cleanup: { held: true } });
      expect(cleaned.weights).toEqual({ stable: 100, canary: 0 });
      // Cleanup kept the canary running through the fence period (a late weight write must find pods);
      // the late rollback, the only handler of its execution still running, rolls it back and releases
      // the ended record and the safety schedule. Traffic and stable stay as cleanup left them.
      expect(cleaned.canary).toEqual({ images: [CANDIDATE], replicas: 1 });
      const { records, schedules, ...rest } = world();
      expect(rest).toEqual({ weights: cleaned.weights, stable: cleaned.stable, canary: { images: [STABLE], replicas: 0 } });
      expect(records).toEqual([]);
      expect(schedules).toEqual([expect.stringMatching(/^serinus-reassert-/)]);
      await expectEndInvariants(flow, outcome, PLAN, { stableImage: c.stableImage });
    });
  }

  it('held after its fence passed: the write lands late and the reassert puts everything back', async () => {
    // Prepare
    flow = await startFlow();
    await c.arrange?.();

    // Act
    const { execution, late, cleaned } = await stopWhileHeld(state, c.write);
    const outcome = await execution.outcome;
    late.release();
    await flow.engine.idle();

    // Assess
    expect(outcome).toMatchObject({ status: 'ABORTED', cleanup: { held: true } });
    expect(cleaned.weights).toEqual({ stable: 100, canary: 0 });
    c.landed?.();
    expect(lateInvocation(state).error).toBe(c.lateError);
    // The record stays ended, fencing out any other late call, until the reassert (a late rollback
    // releases it: nothing of the execution runs after it).
    expect(flow.engine.aws.scheduler.pending().map((s) => s.name)).toContainEqual(expect.stringMatching(/^serinus-reassert-/));
    expect(flow.engine.aws.dynamodb.items('serinus-rollouts')).toEqual(state === 'Rollback' ? [] : [expect.objectContaining({ phase: 'ended' })]);
    await expectEndInvariants(flow, outcome, PLAN, { stableImage: c.stableImage });
  });
});

describe('a stop mid-retry', () => {
  it('between Step Functions retries of ShiftWeight: the retry is never started', async () => {
    // Prepare: the first listener write is denied after the fence passed; ShiftWeight fails and is retried.
    flow = await startFlow();
    const denied = flow.engine.aws.injectFault({ command: modifyCommand(), kind: 'accessDenied', match: writesCanary(10) });
    const failedOnce = () => flow.engine.invocations.some((i) => i.state === 'ShiftWeight' && i.error !== undefined);
    const retry = flow.engine.holdInvocation({ state: 'ShiftWeight', at: 'schedule', when: failedOnce });
    const execution = flow.engine.start(INPUT);
    await retry.reached;

    // Act
    execution.abort();
    const outcome = await execution.outcome;
    retry.release();
    await flow.engine.idle();

    // Assess
    expect(denied.hits).toBe(1);
    expect(outcome).toMatchObject({ status: 'ABORTED', cleanup: { held: true } });
    expect(flow.engine.invocations.filter((i) => i.state === 'ShiftWeight').map((i) => i.error)).toEqual(['AccessDenied']);
    expect(flow.observer.canaryWeights().filter((weight) => weight > 0)).toEqual([]);
    await expectEndInvariants(flow, outcome, PLAN, { stableImage: STABLE });
  });

  it("inside the SDK's retry of a throttled listener write: the retried request lands late and the reassert reverts it", async () => {
    // Prepare: the write of 10 is throttled once; the client's retry middleware sends it again.
    flow = await startFlow();
    const throttled = flow.engine.aws.injectFault({ command: modifyCommand(), kind: 'throttled', match: writesCanary(10) });
    let attempts = 0;
    const retried = flow.engine.aws.hold({ command: modifyCommand(), match: (input: object) => writesCanary(10)(input) && ++attempts === 2 });
    const execution = flow.engine.start(INPUT);
    const call = await retried.reached;

    // Act
    execution.abort();
    const outcome = await execution.outcome;
    retried.release();
    await flow.engine.idle();

    // Assess
    expect(call.attempt).toBe(2);
    expect(throttled.hits).toBe(1);
    expect(outcome).toMatchObject({ status: 'ABORTED', cleanup: { held: true } });
    expect(lateInvocation('ShiftWeight').error).toBe('RecordMismatch');
    await expectEndInvariants(flow, outcome, PLAN, { stableImage: STABLE });
  });
});

describe('the execution status event', () => {
  /** Stops the first bake of a rollout, its weights at 90/10. */
  async function stopInFirstBake(name?: string) {
    const bake = holdBake(flow, 0);
    const execution = flow.engine.start(INPUT, name);
    await bake.running;
    expect(flow.observer.currentWeights()).toEqual({ stable: 90, canary: 10 });
    execution.abort();
    return { execution, bake, outcome: await execution.outcome };
  }

  /** The event as EventBridge delivers it again. */
  function deliverAgain(execution: LocalExecution, outcome: { status: 'ABORTED' | 'FAILED' | 'SUCCEEDED' }) {
    return flow.engine.invoke('cleanup', flow.engine.statusChangeEvent(execution.executionArn, execution.name, outcome, INPUT));
  }

  it('delivered twice, within the fence period: the second cleanup reverts nothing new and the reassert still releases', async () => {
    // Prepare
    flow = await startFlow();
    const { execution, outcome } = await stopInFirstBake();
    const cleaned = world();

    // Act
    const again = await deliverAgain(execution, outcome);

    // Assess
    expect(outcome.cleanup).toMatchObject({ held: true });
    expect(again).toMatchObject({ held: true, undone: expect.arrayContaining(['traffic was already on the stable target group (canary weight 0)']) });
    // Same world: the record stays ended (its generation moved), one reassert pending.
    const { records, ...rest } = world();
    const { records: before, ...cleanedRest } = cleaned;
    expect(rest).toEqual(cleanedRest);
    expect(records).toEqual([expect.objectContaining({ executionArn: execution.executionArn, phase: 'ended' })]);
    expect(before).toEqual([expect.objectContaining({ executionArn: execution.executionArn, phase: 'ended' })]);
    expect(rest.schedules.filter((name) => name.startsWith('serinus-reassert-'))).toHaveLength(1);
    await expectEndInvariants(flow, outcome, PLAN, { stableImage: STABLE });
  });

  it('delivered twice, after the reassert released the lock: the second cleanup finds nothing', async () => {
    // Prepare
    flow = await startFlow();
    const { execution, outcome } = await stopInFirstBake();
    await expectEndInvariants(flow, outcome, PLAN, { stableImage: STABLE });
    const settled = world();
    const callsBefore = flow.engine.aws.calls.length;

    // Act
    const again = await deliverAgain(execution, outcome);

    // Assess
    expect(again).toEqual({ held: false, undone: [], findings: [] });
    expect(world()).toEqual(settled);
    expect(flow.engine.aws.calls.slice(callsBefore).filter((c) => c.mutating)).toEqual([]);
  });

  it('delivered late, after a new rollout began on the same listener: cleanup leaves the new rollout alone', async () => {
    // Prepare: the first rollout's event is held back; its safety schedule cleans it up.
    flow = await startFlow();
    flow.engine.deliverStatusEvents = false;
    const first = await stopInFirstBake('first');
    expect(first.outcome.cleanup).toBeUndefined();
    await flow.engine.passFence({ safety: true });
    expect(world()).toMatchObject({ weights: { stable: 100, canary: 0 }, records: [], schedules: [] });
    first.bake.release();
    flow.engine.deliverStatusEvents = true;
    const bake = holdBake(flow, 0);
    const second = flow.engine.start({ image: CANDIDATE, steps: [{ weight: 20, bakeSeconds: 60 }] }, 'second');
    await bake.running;
    const running = world();
    expect(running.weights).toEqual({ stable: 80, canary: 20 });
    expect(running.records).toEqual([expect.objectContaining({ executionArn: second.executionArn })]);
    const callsBefore = flow.engine.aws.calls.length;

    // Act
    const late = await deliverAgain(first.execution, first.outcome);

    // Assess
    expect(late).toEqual({ held: false, undone: [], findings: [] });
    expect(world()).toEqual(running);
    expect(flow.engine.aws.calls.slice(callsBefore).filter((c) => c.mutating)).toEqual([]);
    expect(running.schedules).toEqual([expect.stringMatching(/^serinus-safety-/), expect.stringMatching(/-step-0$/)]);
    // The new rollout carries on to promotion.
    bake.release();
    const outcome = await second.outcome;
    expect(outcome).toMatchObject({ status: 'SUCCEEDED', output: { result: 'promoted' } });
    await expectEndInvariants(flow, outcome, [10, 20], { stableImage: CANDIDATE, canaryImage: CANDIDATE });
  });

  it('never delivered: only the safety schedule catches the stopped execution', async () => {
    // Prepare
    flow = await startFlow();
    flow.engine.deliverStatusEvents = false;
    const { outcome } = await stopInFirstBake();
    expect(outcome.cleanup).toBeUndefined();
    await flow.engine.passFence();
    // Without the safety schedule nothing reverts it: no reassert exists yet, the bake's schedule is left.
    expect(flow.observer.currentWeights()).toEqual({ stable: 90, canary: 10 });
    expect(flow.engine.aws.scheduler.pending().map((s) => s.name)).toEqual([expect.stringMatching(/^serinus-safety-/), expect.stringMatching(/-step-0$/)]);

    // Act
    await flow.engine.passFence({ safety: true });

    // Assess
    expect(flow.engine.invocations.filter((i) => i.handler === 'sweeper').length).toBeGreaterThanOrEqual(2);
    await expectEndInvariants(flow, outcome, PLAN, { stableImage: STABLE });
  });
});

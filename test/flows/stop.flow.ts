/**
 * A stopped execution runs no Catch. For every state the workflow can be stopped in, stop it
 * there, deliver the status-change event to cleanup as EventBridge would (at once, not waiting
 * for Lambdas still running), and check that traffic ended on stable, the canary is rolled back
 * and the lock is released.
 *
 * Each stop lands at a fixed point, held by the test rather than raced against timers:
 * - a Lambda task: its handler has finished, Step Functions has not yet moved on;
 * - an approval: its request is out;
 * - a Wait: the state is waiting (long), the Deployment's rollout held where it matters;
 * - a Choice or Pass: the task after it is about to be scheduled (a stopped execution starts none).
 */
import type { LocalExecution } from '../../local/local-engine';
import type { AslState } from '../../local/synthesized-workflow';
import { sampleWorkflow, CANDIDATE, STABLE, expectEndInvariants, holdBake, startFlow, type Flow } from './flow-support';

const TERMINAL = new Set(['Succeed', 'Fail']);
const STATES = sampleWorkflow().definition.States;
const stoppable = Object.entries(STATES)
  .filter(([, state]) => !TERMINAL.has(state.Type))
  .map(([name]) => name);

let flow: Flow;

afterEach(async () => {
  await flow?.close();
});

/** The task states the workflow can schedule next after `name`, passing through Choice, Pass and Wait states. */
function nextTasks(name: string): string[] {
  const found = new Set<string>();
  const seen = new Set<string>();
  const visit = (state: AslState): void => {
    const targets = [state.Next, state.Default, ...((state.Choices as Array<{ Next?: string }> | undefined) ?? []).map((c) => c.Next)];
    for (const target of targets) {
      if (typeof target !== 'string' || seen.has(target)) continue;
      seen.add(target);
      const next = STATES[target]!;
      if (next.Type === 'Task') found.add(target);
      else if (!TERMINAL.has(next.Type)) visit(next);
    }
  };
  visit(STATES[name]!);
  return [...found];
}

it('covers every non-terminal state of the definition', () => {
  // Every state but the terminal ones, the dry-run exit and the lock's refusal.
  expect(stoppable).toEqual(
    expect.arrayContaining([
      'Validate', 'Lock', 'DeployCanary', 'Bake', 'ApproveStep', 'PromoteStable', 'Finish', 'Rollback', 'RollbackLock',
      'MarkApprovalTimeout', 'MarkBakeTimeout', 'RestoreStable', 'RestoreNeeded?', 'CheckRestoredReady', 'WaitForRestore', 'StableRestored?',
    ]),
  );
  expect(stoppable.filter((state) => !ROUTES[state] && !HAPPY_PATH.has(state))).toEqual([]);
});

/** States a healthy rollout with a gate before every step and before promotion passes through. */
const HAPPY_PATH = new Set([
  'Validate', 'DryRun?', 'Lock', 'DeployCanary', 'CheckCanaryReady', 'WaitForCanary', 'CanaryReady?', 'MoreSteps?',
  'SelectStep', 'ApproveStep?', 'ApproveStep', 'ShiftWeight', 'Bake', 'CheckHealth', 'ApprovePromotion?',
  'ApprovePromotion', 'PromoteStable', 'CheckStableReady', 'WaitForStable', 'StableReady?', 'Finish',
]);

/** How a stop test reaches the states only a failure, a timeout or a stuck rollout leads to. */
interface Route {
  /** Before the start: alarms, faults, armed failures, holds. */
  arrange?(flow: Flow): void | Promise<void>;
  /** After the start, before the stop point is awaited (e.g. time a task out). */
  drive?(flow: Flow): Promise<void>;
  /** After the stop: let go of what `arrange` or `drive` held. */
  finish?(flow: Flow): Promise<void> | void;
}

/** The promotion's rollout reports ProgressDeadlineExceeded: CheckStableReady's Catch goes to RestoreStable. */
function failPromotion(flow: Flow): void {
  flow.engine.kube.failNextRollout(flow.engine.target.workload.namespace, flow.engine.target.workload.stableDeployment);
}
const promotionStuck: Route = { arrange: failPromotion };

let restoreRollout: { release(): Promise<void> } | undefined;
let restoreEntered: { reached: Promise<unknown>; release(): void } | undefined;
let bakeHeld: { running: Promise<void>; release(): void } | undefined;
let lockFault: { remove(): void } | undefined;

const ROUTES: Record<string, Route> = {
  // An alarm already in ALARM: the pre-shift gate fails ShiftWeight, whose Catch is Rollback.
  Rollback: {
    arrange: (flow) => flow.engine.aws.cloudwatch.setState(flow.engine.target.alarmNames[0]!, 'ALARM', 'failing', { emitEvent: false }),
  },
  // Nobody answers the first step's gate: it times out (States.Timeout), marked as an approval timeout.
  MarkApprovalTimeout: {
    drive: async (flow) => {
      const request = await flow.engine.nextApproval();
      expect(request.state).toBe('ApproveStep');
      flow.engine.aws.sfn.expire(request.token);
    },
  },
  // The first bake's schedule never fires: the bake's task timeout ends it.
  MarkBakeTimeout: {
    arrange: (flow) => {
      bakeHeld = holdBake(flow, 0);
    },
    drive: async (flow) => {
      await bakeHeld!.running;
      const tokens = flow.engine.aws.sfn.waitingTokens().filter((token) => token.includes('/Bake/'));
      expect(tokens).toHaveLength(1);
      flow.engine.aws.sfn.expire(tokens[0]!);
    },
    finish: () => bakeHeld?.release(),
  },
  RestoreStable: promotionStuck,
  'RestoreNeeded?': promotionStuck,
  CheckRestoredReady: promotionStuck,
  'StableRestored?': promotionStuck,
  // The restore's own rollout is held: CheckRestoredReady answers "not ready" and the workflow waits.
  WaitForRestore: {
    arrange: (flow) => {
      failPromotion(flow);
      restoreEntered = flow.engine.holdInvocation({ state: 'RestoreStable', at: 'start' });
    },
    drive: async (flow) => {
      await restoreEntered!.reached;
      restoreRollout = flow.engine.kube.holdRollout(flow.engine.target.workload.namespace, flow.engine.target.workload.stableDeployment);
      restoreEntered!.release();
    },
    finish: () => restoreRollout?.release(),
  },
  // Lock writes the record, then cannot create the safety schedule: Lock fails into RollbackLock.
  RollbackLock: {
    arrange: (flow) => {
      lockFault = flow.engine.aws.injectFault({
        command: 'CreateSchedule',
        kind: 'accessDenied',
        times: 'always',
        match: (input: { Name?: string }) => input.Name?.startsWith('serinus-safety-') ?? false,
      });
    },
    finish: () => lockFault?.remove(),
  },
};

beforeEach(() => {
  restoreRollout = undefined;
  restoreEntered = undefined;
  bakeHeld = undefined;
  lockFault = undefined;
});

it.each(stoppable)('stopped in %s: cleanup leaves stable at 100%% and the lock released', async (state) => {
  // Prepare
  const type = STATES[state]!.Type;
  const route = ROUTES[state] ?? {};
  let execution: LocalExecution = undefined as never;
  const approval = STATES[state]!.Resource === 'arn:aws:states:::sns:publish.waitForTaskToken';
  flow = await startFlow(type === 'Wait' ? { waitMs: { [state]: 600_000 } } : {});
  const { namespace, canaryDeployment, stableDeployment } = flow.engine.target.workload;
  await route.arrange?.(flow);
  const rollouts = {
    WaitForCanary: flow.engine.kube.holdRollout(namespace, canaryDeployment),
    WaitForStable: flow.engine.kube.holdRollout(namespace, stableDeployment),
  };
  if (state !== 'WaitForCanary') await rollouts.WaitForCanary.release();
  if (state !== 'WaitForStable') await rollouts.WaitForStable.release();
  const held =
    type === 'Task' && !approval
      ? flow.engine.holdInvocation({ state, at: 'end' })
      : type === 'Choice' || type === 'Pass'
        ? flow.engine.holdInvocation({ states: nextTasks(state), at: 'schedule', when: () => execution.states.includes(state) })
        : undefined;
  // Approve every gate except the one being stopped in (and the one an approval timeout needs).
  const gate = new Promise<void>((resolve) =>
    flow.engine.onApproval((request) => {
      if (request.state === state) resolve();
      else if (state !== 'MarkApprovalTimeout') void flow.engine.approve(request.token);
    }),
  );
  execution = flow.engine.start({
    image: CANDIDATE,
    steps: [
      { weight: 10, bakeSeconds: 60 },
      { weight: 100, bakeSeconds: 60 },
    ],
    approval: 'everyStep',
  });

  // Act
  await route.drive?.(flow);
  if (held) await held.reached;
  else if (approval) await gate;
  else await execution.entered(state);
  execution.abort();
  const outcome = await execution.outcome;
  held?.release();
  await route.finish?.(flow);
  await rollouts.WaitForCanary.release();
  await rollouts.WaitForStable.release();
  await flow.engine.idle();

  // Assess
  expect(outcome.status).toBe('ABORTED');
  if (type === 'Choice' || type === 'Pass') expect(outcome.states).toContain(state);
  else expect(outcome.states.at(-1)).toBe(state);
  // Stopped once Finish had promoted and unlocked, stable keeps the candidate; before, it keeps (or gets back) its image.
  // A promoted rollout leaves the canary scaled to 0 on the candidate, which stable now runs too.
  const promoted = state === 'Finish';
  await expectEndInvariants(flow, outcome, [10, 100], { stableImage: promoted ? CANDIDATE : STABLE, canaryImage: promoted ? CANDIDATE : STABLE });
});

describe('a handler still running when the execution is stopped', () => {
  it('the status event reaches cleanup at once, while ShiftWeight is held inside its listener write', async () => {
    // Prepare
    flow = await startFlow();
    const { traffic } = flow.engine.target;
    const writeOf10 = flow.engine.aws.hold({
      command: traffic.ruleArn ? 'ModifyRule' : 'ModifyListener',
      match: (input: object) => JSON.stringify(input).includes(`"TargetGroupArn":"${traffic.canaryTargetGroupArn}","Weight":10`),
    });
    const execution = flow.engine.start({ image: CANDIDATE, steps: [{ weight: 10, bakeSeconds: 60 }] });
    await writeOf10.reached;

    // Act
    execution.abort();
    const outcome = await execution.outcome;
    const shiftWeight = flow.engine.invocations.find((i) => i.handler === 'shift-weight')!;
    const cleanup = flow.engine.invocations.find((i) => i.handler === 'cleanup')!;
    const shiftEndedBeforeCleanup = shiftWeight.endedAt !== undefined;
    writeOf10.release();
    await flow.engine.idle();

    // Assess
    expect(outcome).toMatchObject({ status: 'ABORTED', cleanup: expect.anything() });
    expect(shiftEndedBeforeCleanup).toBe(false);
    expect(cleanup.endedAt).toBeLessThanOrEqual(shiftWeight.endedAt!);
  });

  // The late write lands after cleanup restored stable. Fencing refuses every
  // later write of the handler, and the reassert (once the fence period passed) restores stable.
  it('…and its late write does not leave traffic on the canary once the fence period has passed', async () => {
    // Prepare
    flow = await startFlow();
    const { traffic } = flow.engine.target;
    const writeOf10 = flow.engine.aws.hold({
      command: traffic.ruleArn ? 'ModifyRule' : 'ModifyListener',
      match: (input: object) => JSON.stringify(input).includes(`"TargetGroupArn":"${traffic.canaryTargetGroupArn}","Weight":10`),
    });
    const execution = flow.engine.start({ image: CANDIDATE, steps: [{ weight: 10, bakeSeconds: 60 }] });
    await writeOf10.reached;

    // Act
    execution.abort();
    const outcome = await execution.outcome;
    writeOf10.release();
    await flow.engine.idle();

    // Assess
    // The write was sent before cleanup and lands after it: until the reassert, 10% reach the canary,
    // which keeps its pods until then.
    expect(flow.observer.currentWeights()).toEqual({ stable: 90, canary: 10 });
    const { namespace, canaryDeployment } = flow.engine.target.workload;
    expect(flow.engine.kube.deployment(namespace, canaryDeployment).status.availableReplicas).toBeGreaterThan(0);
    expect(flow.engine.invocations.find((i) => i.handler === 'shift-weight')!.error).toBe('RecordMismatch');
    await expectEndInvariants(flow, outcome, [10]);
  });
});

it('a lost status event: the sweeper finds the stopped execution and rolls it back', async () => {
  // Prepare
  flow = await startFlow();
  flow.engine.deliverStatusEvents = false;
  const bake = holdBake(flow, 0);
  const execution = flow.engine.start({ image: CANDIDATE, steps: [{ weight: 10, bakeSeconds: 3600 }] });
  await bake.running;
  execution.abort();
  const outcome = await execution.outcome;
  expect(outcome.cleanup).toBeUndefined();
  expect(flow.observer.currentWeights()).toEqual({ stable: 90, canary: 10 });

  // Act
  const swept = await flow.engine.sweep();

  // Assess
  expect(swept).toEqual({ checked: 1, swept: [execution.executionArn] });
  await expectEndInvariants(flow, outcome, [10]);
  const { namespace, canaryDeployment } = flow.engine.target.workload;
  expect(flow.engine.kube.deployment(namespace, canaryDeployment).spec.replicas).toBe(0);
});

it('the sweeper leaves a running rollout alone', async () => {
  // Prepare
  flow = await startFlow();
  const bake = holdBake(flow, 0);
  const execution = flow.engine.start({ image: CANDIDATE, steps: [{ weight: 10, bakeSeconds: 3600 }] });
  await bake.running;

  // Act
  const swept = await flow.engine.sweep();

  // Assess
  expect(swept).toEqual({ checked: 1, swept: [] });
  expect(flow.observer.currentWeights()).toEqual({ stable: 90, canary: 10 });
  execution.abort();
  const outcome = await execution.outcome;
  expect(outcome.status).toBe('ABORTED');
  await expectEndInvariants(flow, outcome, [10]);
});

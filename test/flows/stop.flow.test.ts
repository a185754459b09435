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
  expect(stoppable).toEqual(expect.arrayContaining(['Validate', 'Lock', 'DeployCanary', 'Bake', 'ApproveStep', 'PromoteStable', 'Finish', 'Rollback']));
});

it.each(stoppable)('stopped in %s: cleanup leaves stable at 100%% and the lock released', async (state) => {
  // Prepare
  const type = STATES[state]!.Type;
  let execution: LocalExecution = undefined as never;
  const approval = STATES[state]!.Resource === 'arn:aws:states:::sns:publish.waitForTaskToken';
  flow = await startFlow(type === 'Wait' ? { waitMs: { [state]: 600_000 } } : {});
  const { namespace, canaryDeployment, stableDeployment } = flow.engine.target.workload;
  // Rollback is only reached on failure: an alarm already in ALARM fails the first bake.
  if (state === 'Rollback') {
    await flow.engine.aws.cloudwatch.setState(flow.engine.target.alarmNames[0]!, 'ALARM', 'failing', { emitEvent: false });
  }
  const rollouts = {
    WaitForCanary: flow.engine.kube.holdRollout(namespace, canaryDeployment),
    WaitForStable: flow.engine.kube.holdRollout(namespace, stableDeployment),
  };
  if (state !== 'WaitForCanary') void rollouts.WaitForCanary.release();
  if (state !== 'WaitForStable') void rollouts.WaitForStable.release();
  const held =
    type === 'Task' && !approval
      ? flow.engine.holdInvocation({ state, at: 'end' })
      : type === 'Choice' || type === 'Pass'
        ? flow.engine.holdInvocation({ states: nextTasks(state), at: 'schedule', when: () => execution.states.includes(state) })
        : undefined;
  // Approve every gate except the one being stopped in.
  const gate = new Promise<void>((resolve) =>
    flow.engine.onApproval((request) => {
      if (request.state === state) resolve();
      else void flow.engine.approve(request.token);
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
  if (held) await held.reached;
  else if (approval) await gate;
  else await execution.entered(state);
  execution.abort();
  const outcome = await execution.outcome;
  held?.release();
  await rollouts.WaitForCanary.release();
  await rollouts.WaitForStable.release();
  await flow.engine.idle();

  // Assess
  expect(outcome.status).toBe('ABORTED');
  if (type === 'Choice' || type === 'Pass') expect(outcome.states).toContain(state);
  else expect(outcome.states.at(-1)).toBe(state);
  await expectEndInvariants(flow, outcome, [10, 100]);
  expect(flow.engine.kube.deployment(namespace, canaryDeployment).spec.replicas).toBe(0);
  // Stopped once Finish had promoted and unlocked, stable keeps the candidate; before, it keeps (or gets back) its image.
  const image = flow.engine.kube.deployment(namespace, stableDeployment).spec.template.spec.containers[0]!.image;
  expect(image).toBe(state === 'Finish' ? CANDIDATE : STABLE);
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

  // The late write lands after cleanup restored stable and released the lock (issue 7, finding 1).
  // It passes once every weight write is fenced on the execution still owning the record.
  it.failing('…and its late write does not leave traffic on the canary', async () => {
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
    expect(flow.observer.currentWeights()).toEqual({ stable: 100, canary: 0 });
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

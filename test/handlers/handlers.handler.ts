/**
 * The handlers as Lambda runs them, against the stateful fakes: every handler refuses a malformed
 * event with ValidationFailed and changes nothing, and every mutating handler can run twice
 * (a Step Functions retry) and leave the same state.
 */
import { EVENT_HANDLERS, WORKFLOW_HANDLERS, type HandlerName } from '../../lambda/handler-names';
import type { RolloutContext } from '../../lambda/use-cases/context';
import { LocalEngine, shutdownLocalEngines } from '../../local/local-engine';
import { synthesizeSampleWorkflow } from '../../local/sample-workflow';
import { albTarget } from '../../lambda/adapters/alb-target';

// The engine sets this on deploy; the safety and reassert schedules target the sweeper.
process.env.SERINUS_SWEEPER_FUNCTION_ARN ??= 'arn:aws:lambda:eu-west-1:123456789012:function:serinus-sweeper';

const workflow = synthesizeSampleWorkflow();
const CANDIDATE = 'registry.local/app:2.0.0';
const STABLE = 'registry.local/app:1.0.0';
const EXECUTION = 'arn:aws:states:eu-west-1:123456789012:execution:checkout:release-2';

let engine: LocalEngine;

beforeEach(async () => {
  engine = await LocalEngine.start(workflow, { rolloutDelayMs: 0, stableImage: STABLE });
});

afterEach(async () => {
  await engine.close();
});

afterAll(() => shutdownLocalEngines());

async function validated(input: unknown = { image: CANDIDATE, steps: [{ weight: 10, bakeSeconds: 60 }] }): Promise<RolloutContext> {
  return (await engine.invoke('validate', { executionArn: EXECUTION, input, target: workflow.target })) as RolloutContext;
}

function record(): Record<string, unknown> | undefined {
  return engine.aws.dynamodb.items('serinus-rollouts')[0] as Record<string, unknown> | undefined;
}

/** The record without its fence generation and the last fence's nonce, which every fence check moves on by design. */
function recordState(): Record<string, unknown> | undefined {
  const item = record();
  if (!item) return item;
  const { generation, fencedBy, ...rest } = item;
  expect(generation).toEqual(expect.any(Number));
  expect(fencedBy).toEqual(expect.any(String));
  return rest;
}

function canary() {
  const { namespace, canaryDeployment } = workflow.target.workload;
  return engine.kube.deployment(namespace, canaryDeployment);
}

const MALFORMED: Record<HandlerName, unknown> = {
  validate: { input: { image: CANDIDATE } },
  'acquire-lock': { rollout: { executionArn: EXECUTION } },
  'deploy-canary': {},
  'check-canary-ready': { rollout: null, since: 'yesterday' },
  'shift-weight': { step: { index: 0, weight: 10 } },
  'start-bake': { taskToken: 'token' },
  'check-health': 'not an object',
  'promote-stable': { rollout: [] },
  'check-stable-ready': { since: '2026-11-21T10:00:00Z' },
  finish: null,
  rollback: { error: { Error: 'CanaryUnhealthy' } },
  'restore-stable': { rollout: { executionArn: EXECUTION } },
  'await-window': { step: { index: 0, weight: 10 }, taskToken: 'token' },
  'request-approval': { gate: 'promotion', taskToken: 'token' },
  'on-alarm': { source: 'aws.cloudwatch', detail: {} },
  cleanup: { source: 'aws.states', 'detail-type': 'Step Functions Execution Status Change', detail: { status: 'ABORTED' } },
  sweeper: undefined,
};

describe('a malformed event', () => {
  it.each([...WORKFLOW_HANDLERS, ...EVENT_HANDLERS].filter((h) => h !== 'sweeper'))(
    '%s refuses it with ValidationFailed and changes nothing',
    async (handler) => {
      // Act
      const result = engine.invoke(handler, MALFORMED[handler]);

      // Assess
      await expect(result).rejects.toMatchObject({ name: 'ValidationFailed' });
      expect(engine.mutations()).toEqual([]);
    },
  );

  it('validate reports every problem of the input at once, before any change', async () => {
    // Act
    const result = validated({ image: 'Registry.Local/App', steps: [{ weight: 50, bakeSeconds: 60 }, { weight: 20, bakeSeconds: -1 }], colour: 'blue' });

    // Assess
    await expect(result).rejects.toMatchObject({ name: 'ValidationFailed' });
    const error = (await result.catch((e: unknown) => e)) as Error;
    const message = (JSON.parse(error.message) as { errorMessage: string }).errorMessage;
    expect(message).toMatch(/image/);
    expect(message).toMatch(/steps\[1\]/);
    expect(message).toMatch(/colour/);
    expect(engine.mutations()).toEqual([]);
  });

  it('validate names an alarm that does not exist instead of calling it healthy', async () => {
    // Act
    const result = engine.invoke('validate', {
      executionArn: EXECUTION,
      input: { image: CANDIDATE },
      target: { ...workflow.target, alarmNames: [...workflow.target.alarmNames, 'checkout-missing'] },
    });

    // Assess
    await expect(result).rejects.toMatchObject({ name: 'ValidationFailed', message: expect.stringContaining('checkout-missing') });
    expect(engine.mutations()).toEqual([]);
  });
});

describe('a mutating handler run twice', () => {
  it('acquire-lock keeps the first record', async () => {
    // Prepare
    const rollout = await validated();
    await engine.invoke('acquire-lock', { rollout });
    const first = recordState();

    // Act
    await engine.invoke('acquire-lock', { rollout });

    // Assess
    expect(recordState()).toEqual(first);
  });

  it('deploy-canary records the canary before the candidate, once', async () => {
    // Prepare
    const rollout = await validated();
    await engine.invoke('acquire-lock', { rollout });
    await engine.invoke('deploy-canary', { rollout });
    const first = { record: recordState(), canary: canary().spec };

    // Act
    await engine.invoke('deploy-canary', { rollout });

    // Assess
    expect(record()).toMatchObject({ previousCanary: { images: { app: STABLE }, replicas: 0 } });
    expect({ record: recordState(), canary: canary().spec }).toEqual(first);
    expect(canary().spec.template.spec.containers[0]!.image).toBe(CANDIDATE);
  });

  it('shift-weight writes the listener once', async () => {
    // Prepare
    const rollout = await validated();
    await engine.invoke('acquire-lock', { rollout });
    await engine.invoke('deploy-canary', { rollout });
    const step = rollout.plan.steps[0]!;
    await engine.invoke('shift-weight', { rollout, step });

    // Act
    await engine.invoke('shift-weight', { rollout, step });

    // Assess
    expect(engine.aws.calls.filter((c) => c.command === 'ModifyListener')).toHaveLength(1);
    expect(record()).toMatchObject({ lastWrittenWeights: { stable: 90, canary: 10 } });
  });

  it('rollback leaves the same state the second time', async () => {
    // Prepare
    const rollout = await validated();
    await engine.invoke('acquire-lock', { rollout });
    await engine.invoke('deploy-canary', { rollout });
    await engine.invoke('shift-weight', { rollout, step: rollout.plan.steps[0] });
    const error = { Error: 'CanaryUnhealthy', Cause: '{"errorMessage":"alarm"}' };
    // What the Rollback state sends: every state after Lock held the lock, so traffic goes first.
    const heldLock = (workflow.definition.States.Rollback!.Parameters as { heldLock: unknown }).heldLock;
    expect(heldLock).toBe(true);
    const first = await engine.invoke('rollback', { rollout, error, heldLock });
    const after = { weights: engine.aws.elbv2.weights(albTarget(workflow.target.traffic).listenerArn), canary: canary().spec, record: record() };

    // Act
    const again = await engine.invoke('rollback', { rollout, error, heldLock });

    // Assess
    expect({ weights: engine.aws.elbv2.weights(albTarget(workflow.target.traffic).listenerArn), canary: canary().spec, record: record() }).toEqual(after);
    expect(after.record).toBeUndefined();
    expect(after.canary.replicas).toBe(0);
    expect(first).toMatchObject({ undone: expect.arrayContaining(['shift all traffic to the stable target group (canary weight 0)']) });
    // Traffic first, always (DESIGN §2): the second run checks the listener again and finds nothing else to undo.
    expect(again).toMatchObject({ undone: ['traffic was already on the stable target group (canary weight 0)'] });
    const listenerReads = engine.aws.calls.filter((c) => c.command === 'DescribeListeners' || c.command === 'DescribeRules');
    expect(listenerReads.length).toBeGreaterThan(0);
  });

  it('finish reports the same result when retried after it completed', async () => {
    // Prepare
    const rollout = await validated();
    const { canaryTargetGroupArn } = albTarget(workflow.target.traffic);
    await engine.invoke('acquire-lock', { rollout });
    await engine.invoke('deploy-canary', { rollout });
    await engine.invoke('shift-weight', { rollout, step: rollout.plan.steps[0] });
    const first = await engine.invoke('finish', { rollout });

    // Act
    const again = await engine.invoke('finish', { rollout });

    // Assess
    expect(again).toEqual(first);
    expect(engine.aws.elbv2.weights(albTarget(workflow.target.traffic).listenerArn)[canaryTargetGroupArn]).toBe(0);
  });
});

describe('the ELBv2 requests of a step', () => {
  const TWO_STEPS = { image: CANDIDATE, steps: [{ weight: 10, bakeSeconds: 60 }, { weight: 50, bakeSeconds: 60 }] };
  /** What the synthesized definition sends CheckHealth besides the rollout and the step. */
  const betweenSteps = (workflow.definition.States.CheckHealth!.Parameters as { betweenSteps: unknown }).betweenSteps;
  const elbv2Since = (index: number) => engine.aws.calls.slice(index).filter((c) => c.service === 'elbv2').map((c) => c.command);

  it("shift-weight: the zero-healthy-targets gate, the one read the write is built on, and the write, whose reply is the read-back", async () => {
    // Prepare
    const rollout = await validated(TWO_STEPS);
    await engine.invoke('acquire-lock', { rollout });
    await engine.invoke('deploy-canary', { rollout });
    const before = engine.aws.calls.length;

    // Act
    await engine.invoke('shift-weight', { rollout, step: rollout.plan.steps[0] });

    // Assess
    expect(elbv2Since(before)).toEqual(['DescribeTargetHealth', 'DescribeListeners', 'ModifyListener']);
    expect(record()).toMatchObject({ lastWrittenWeights: { stable: 90, canary: 10 } });
  });

  it.each([
    [0, 'the next ShiftWeight follows at once: the drift read only', ['DescribeListeners']],
    [1, 'the last step: the drift read and the canary target health', ['DescribeListeners', 'DescribeTargetHealth']],
  ])("check-health with the definition's input, step %i (%s)", async (index, _label, expected) => {
    // Prepare
    expect(betweenSteps).toEqual({ windowGate: false, afterStepHook: false });
    const rollout = await validated(TWO_STEPS);
    await engine.invoke('acquire-lock', { rollout });
    await engine.invoke('deploy-canary', { rollout });
    for (const step of rollout.plan.steps.slice(0, index + 1)) await engine.invoke('shift-weight', { rollout, step });
    const before = engine.aws.calls.length;

    // Act
    const result = await engine.invoke('check-health', { rollout, step: rollout.plan.steps[index], betweenSteps });

    // Assess
    expect(result).toMatchObject({ status: 'healthy' });
    expect(elbv2Since(before)).toEqual(expected);
    expect(record()).toMatchObject({ healthyThroughStep: index });
  });

  it('check-health refuses a malformed betweenSteps with ValidationFailed and changes nothing', async () => {
    // Prepare
    const rollout = await validated(TWO_STEPS);

    // Act
    const result = engine.invoke('check-health', { rollout, step: rollout.plan.steps[0], betweenSteps: 'nothing' });

    // Assess
    await expect(result).rejects.toMatchObject({ name: 'ValidationFailed' });
    expect(engine.mutations()).toEqual([]);
  });
});

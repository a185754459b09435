/**
 * Deployment windows and lifecycle hooks, run in the synthesized state machine: a variant of the
 * sample with a window (`MON-SUN 00:00-24:00 UTC`, so the input's freezes decide) and a hook at
 * every point. A freeze in the input closes the calendar now; the schedule at its end is held by
 * the test and released to "open the window", so no clock is raced.
 */
import { SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { HOOK_FUNCTIONS as HOOKS, hooksWorkflow } from '../support/flow-workflows';
import { ErrorNames } from '../../lambda/errors';
import type { HookFunction } from '../../local/local-engine';
import { CANDIDATE, STABLE, expectEndInvariants, useWorkflow, type Flow } from './flow-support';

const { startFlow } = useWorkflow(hooksWorkflow);

const PLAN = [10, 100];
const INPUT = { image: CANDIDATE, steps: PLAN.map((weight) => ({ weight, bakeSeconds: 60 })) };
const ALARM = () => flow.engine.target.alarmNames[0]!;

let flow: Flow;
const sfn = new SFNClient({});
/** What each hook received, in order. */
let received: Array<Record<string, unknown>>;

afterEach(async () => {
  await flow?.close();
});

const pass = () => ({ status: 'pass', reason: 'ok' });

/** Starts a flow whose hooks pass unless `overrides` says otherwise. */
async function start(overrides: Partial<Record<keyof typeof HOOKS, HookFunction>> = {}): Promise<Flow> {
  flow = await startFlow();
  received = [];
  const record = (fn: HookFunction): HookFunction => (event) => {
    received.push(event as Record<string, unknown>);
    return fn(event);
  };
  const answerByToken: HookFunction = (event) => {
    const { taskToken } = event as { taskToken: string };
    // As a hook's own worker would, later: SendTaskSuccess with the answer.
    setImmediate(() => void sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(pass()) })));
    return null;
  };
  flow.engine.registerHook(HOOKS.beforeTraffic, record(overrides.beforeTraffic ?? pass));
  flow.engine.registerHook(HOOKS.afterStep, record(overrides.afterStep ?? pass));
  flow.engine.registerHook(HOOKS.beforePromote, record(overrides.beforePromote ?? answerByToken));
  flow.engine.registerHook(HOOKS.afterPromote, record(overrides.afterPromote ?? pass));
  return flow;
}

/** A freeze from an hour ago to two hours from now: every gate is closed until its schedule fires. */
function freezeNow(): { start: string; end: string; reason: string } {
  const now = Date.now();
  return { start: new Date(now - 3_600_000).toISOString(), end: new Date(now + 7_200_000).toISOString(), reason: 'release freeze' };
}

function rolloutRecord(): Record<string, unknown> {
  return flow.engine.aws.dynamodb.items('serinus-rollouts')[0] as Record<string, unknown>;
}

describe('deployment windows', () => {
  it('holds the current weight outside a window, then shifts when the window opens', async () => {
    // Prepare: the gate before step 2 stays closed until the test opens it.
    await start();
    const freeze = freezeNow();
    const opening = flow.engine.aws.scheduler.hold((schedule) => schedule.name.endsWith('-window-1'));
    const execution = flow.engine.start({ ...INPUT, freezes: [freeze] });
    await opening.reached;
    await flow.engine.idle();

    // Assess: step 1's weight holds, and the record says what the rollout waits for.
    expect(flow.observer.currentWeights()).toEqual({ stable: 90, canary: 10 });
    expect(rolloutRecord().waitingFor).toEqual({
      kind: 'deploymentWindow',
      gate: 'step',
      step: 1,
      opensAt: new Date(Date.parse(freeze.end)).toISOString(),
      reason: expect.stringMatching(/inside the freeze "release freeze"/),
    });
    expect(execution.states.filter((s) => s === 'AwaitStepWindow')).toHaveLength(2);

    // Act: the window opens.
    opening.release();
    const outcome = await execution.outcome;

    // Assess
    expect(outcome.status).toBe('SUCCEEDED');
    expect(flow.observer.canaryWeights()).toEqual([10, 100, 0]);
    expect(outcome.states.filter((s) => s === 'AwaitPromotionWindow')).toHaveLength(1);
    await expectEndInvariants(flow, outcome, PLAN, { stableImage: CANDIDATE, canaryImage: CANDIDATE });
  });

  it('rolls back on an alarm while it waits for a window', async () => {
    // Prepare
    await start();
    const opening = flow.engine.aws.scheduler.hold((schedule) => schedule.name.endsWith('-window-1'));
    const execution = flow.engine.start({ ...INPUT, freezes: [freezeNow()] });
    await opening.reached;
    await flow.engine.idle();

    // Act
    await flow.engine.aws.cloudwatch.setState(ALARM(), 'ALARM', 'Threshold Crossed: 5xx rate 12% > 5%');
    const outcome = await execution.outcome;
    opening.release();

    // Assess
    expect(outcome).toMatchObject({ status: 'FAILED', error: ErrorNames.CanaryUnhealthy });
    expect(outcome.cause).toMatch(/went to ALARM .*while the rollout waited for a deployment window/);
    expect(flow.engine.aws.scheduler.deliveries.map((d) => d.name)).not.toContainEqual(expect.stringMatching(/-window-1$/));
    await expectEndInvariants(flow, outcome, PLAN, { canaryImage: STABLE });
  });

  it('a stop while it waits for a window ends with the traffic on stable, and the opening changes nothing', async () => {
    // Prepare: held at 90/10 before step 2, the window's opening scheduled.
    await start();
    const opening = flow.engine.aws.scheduler.hold((schedule) => schedule.name.endsWith('-window-1'));
    const execution = flow.engine.start({ ...INPUT, freezes: [freezeNow()] });
    await opening.reached;
    await flow.engine.idle();

    // Act
    execution.abort();
    const outcome = await execution.outcome;
    opening.release();
    await flow.engine.idle();

    // Assess
    expect(outcome).toMatchObject({ status: 'ABORTED', cleanup: expect.anything() });
    expect(outcome.states.at(-1)).toBe('AwaitStepWindow');
    await expectEndInvariants(flow, outcome, PLAN, { canaryImage: STABLE });
  });

  it('refuses at Validate a plan that can never fit the calendar, and says why', async () => {
    // Prepare
    await start();
    const now = Date.now();

    // Act
    const outcome = await flow.engine.start({ ...INPUT, freezes: [{ start: new Date(now - 60_000).toISOString(), end: '2099-01-01', reason: 'forever' }] }).outcome;

    // Assess
    expect(outcome).toMatchObject({ status: 'FAILED', error: ErrorNames.ValidationFailed, states: ['Validate'] });
    expect(outcome.cause).toMatch(/the plan can never fit the deployment calendar: step 1 finds no open moment within 366 days/);
    expect(flow.engine.mutations()).toEqual([]);
  });
});

describe('lifecycle hooks', () => {
  it('run at every point with the rollout’s details, and a pass lets the rollout go on', async () => {
    // Prepare
    await start();
    const weightsAtSmokeTest: unknown[] = [];
    flow.engine.registerHook(HOOKS.beforeTraffic, (event) => {
      weightsAtSmokeTest.push(flow.observer.currentWeights());
      received.push(event as Record<string, unknown>);
      return pass();
    });

    // Act
    const outcome = await flow.engine.start(INPUT).outcome;

    // Assess
    expect(outcome.status).toBe('SUCCEEDED');
    expect(received.map((e) => e.hook)).toEqual(['beforeTraffic', 'afterStep', 'afterStep', 'beforePromote', 'afterPromote']);
    expect(weightsAtSmokeTest).toEqual([{ stable: 100, canary: 0 }]);
    expect(received[0]).toEqual({
      service: 'checkout',
      executionArn: expect.stringMatching(/:execution:/),
      hook: 'beforeTraffic',
      weights: { stable: 100, canary: 0 },
      images: { candidate: { app: CANDIDATE } },
      canary: { targetGroupArn: flow.engine.target.traffic.canaryTargetGroupArn, namespace: 'checkout', deployment: 'checkout-canary' },
    });
    expect(received[2]).toMatchObject({ hook: 'afterStep', step: { index: 1, weight: 100 }, weights: { stable: 0, canary: 100 } });
    expect(received[3]).toMatchObject({ hook: 'beforePromote', taskToken: expect.any(String) });
    await expectEndInvariants(flow, outcome, PLAN, { stableImage: CANDIDATE, canaryImage: CANDIDATE });
  });

  it('a beforeTraffic failure rolls back before the canary gets any traffic, with the hook’s reason', async () => {
    // Prepare
    await start({ beforeTraffic: () => ({ status: 'fail', reason: 'smoke test: GET /health answered 500' }) });

    // Act
    const outcome = await flow.engine.start(INPUT).outcome;

    // Assess
    expect(outcome).toMatchObject({ status: 'FAILED', error: ErrorNames.HookFailed });
    expect(outcome.cause).toMatch(/^HookFailed: lifecycle hook beforeTraffic failed: smoke test: GET \/health answered 500/);
    expect(flow.observer.canaryWeights()).toEqual([]);
    expect(outcome.states).not.toContain('ShiftWeight');
    await expectEndInvariants(flow, outcome, PLAN, { canaryImage: STABLE });
  });

  it.each<[string, HookFunction, RegExp]>([
    ['throws', () => { throw new Error('cannot reach the canary'); }, /failed: Error: cannot reach the canary/],
    ['answers something else', () => ({ ok: true }), /answered \{"ok":true\}, not \{"status": "pass"\}/],
  ])('an afterStep hook that %s rolls back with HookFailed', async (_label, afterStep, cause) => {
    // Prepare
    await start({ afterStep });

    // Act
    const outcome = await flow.engine.start(INPUT).outcome;

    // Assess
    expect(outcome).toMatchObject({ status: 'FAILED', error: ErrorNames.HookFailed });
    expect(outcome.cause).toMatch(cause);
    expect(flow.observer.canaryWeights()).toEqual([10, 0]);
    await expectEndInvariants(flow, outcome, PLAN, { canaryImage: STABLE });
  });

  it('a hook that never answers times out with HookTimedOut', async () => {
    // Prepare: the timeout passes at once (the interpreter's timer stands in for the hour).
    await start({
      beforePromote: (event) => {
        setImmediate(() => flow.engine.aws.sfn.expire((event as { taskToken: string }).taskToken));
        return null;
      },
    });

    // Act
    const outcome = await flow.engine.start(INPUT).outcome;

    // Assess
    expect(outcome).toMatchObject({ status: 'FAILED', error: ErrorNames.HookTimedOut });
    expect(outcome.cause).toMatch(/^HookTimedOut: lifecycle hook beforePromote did not answer within its timeout/);
    expect(outcome.states).not.toContain('PromoteStable');
    await expectEndInvariants(flow, outcome, PLAN, { canaryImage: STABLE });
  });

  it('an afterPromote failure restores stable’s previous images before the traffic leaves the canary', async () => {
    // Prepare
    await start({ afterPromote: () => ({ status: 'fail', reason: 'synthetic checkout failed on stable' }) });

    // Act
    const outcome = await flow.engine.start(INPUT).outcome;

    // Assess
    expect(outcome).toMatchObject({ status: 'FAILED', error: ErrorNames.HookFailed });
    expect(outcome.cause).toMatch(/synthetic checkout failed on stable/);
    expect(outcome.states.slice(outcome.states.indexOf('AfterPromoteHook'))).toEqual(
      expect.arrayContaining(['AfterPromoteHookFailed', 'RestoreStable', 'Rollback']),
    );
    await expectEndInvariants(flow, outcome, PLAN, { canaryImage: STABLE });
  });

  it('a stop while a long-running hook holds its task token ends with the traffic on stable', async () => {
    // Prepare: beforePromote takes its token and does not answer yet.
    let tokenTaken: () => void = () => undefined;
    const taken = new Promise<void>((resolve) => (tokenTaken = resolve));
    await start({
      beforePromote: () => {
        tokenTaken();
        return null;
      },
    });
    const execution = flow.engine.start(INPUT);
    await taken;
    await flow.engine.idle();

    // Act
    execution.abort();
    const outcome = await execution.outcome;
    await flow.engine.idle();

    // Assess
    expect(outcome).toMatchObject({ status: 'ABORTED', cleanup: expect.anything() });
    expect(outcome.states.at(-1)).toBe('BeforePromoteHook');
    await expectEndInvariants(flow, outcome, PLAN, { canaryImage: STABLE });
  });

  it('a stop while the smoke test runs still ends with the traffic on stable', async () => {
    // Prepare
    await start();
    const smokeTest = flow.engine.holdInvocation({ state: 'BeforeTrafficHook' });
    const execution = flow.engine.start(INPUT);
    await smokeTest.reached;

    // Act
    execution.abort();
    const outcome = await execution.outcome;
    smokeTest.release();
    await flow.engine.idle();

    // Assess
    expect(outcome).toMatchObject({ status: 'ABORTED', cleanup: expect.anything() });
    expect(outcome.states.at(-1)).toBe('BeforeTrafficHook');
    await expectEndInvariants(flow, outcome, PLAN, { canaryImage: STABLE });
  });
});

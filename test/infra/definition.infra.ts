/**
 * The synthesized state machine definition: valid Amazon States Language, and a graph whose Fail
 * states, Catch routes and orderings say what the README and DESIGN.md promise.
 */
import { existsSync } from 'node:fs';
import { App, Duration, Stack, type CfnElement } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { IConstruct } from 'constructs';
import { readFailure } from '../../lambda/domain/failure';
import { planRollout } from '../../lambda/domain/planner';
import { ErrorNames } from '../../lambda/errors';
import { LocalEngine, shutdownLocalEngines } from '../../local/local-engine';
import { synthesizeSampleWorkflow, withScratchAssembly } from '../../local/sample-workflow';
import type { AslState } from '../../local/synthesized-workflow';
import { rolloutRequest, targetConfig } from '../support/fixtures';
import { CanaryRollout } from '../../lib/canary-rollout';
import { LifecycleHook } from '../../lib/hooks';
import { DeploymentWindow, FreezePeriod } from '../../lib/windows';
import { OTHER, SAMPLE, sampleStack, sharedSample, validRolloutProps } from '../support/synth';
import { albTarget } from '../../lambda/adapters/alb-target';

/** asl-validator ships no type declarations; this is the part of its API the test uses. */
type AslValidator = (
  definition: unknown,
  options?: { readonly checkPaths: boolean; readonly checkArn: boolean },
) => { isValid: boolean; errorsText: (separator?: string) => string };
const aslValidator = require('asl-validator') as AslValidator;

type Intrinsic = { Ref: string } | { 'Fn::GetAtt': [string, string] };

const PSEUDO: Record<string, string> = {
  'AWS::Partition': 'aws',
  'AWS::Region': SAMPLE.region,
  'AWS::AccountId': SAMPLE.account,
  'AWS::URLSuffix': 'amazonaws.com',
};

/** Stands in for what CloudFormation would substitute: a Lambda ARN for a function's Arn, a name otherwise. */
function placeholder(part: Intrinsic): string {
  if ('Ref' in part) return PSEUDO[part.Ref] ?? part.Ref;
  const [resource, attribute] = part['Fn::GetAtt'];
  return attribute === 'Arn' ? `arn:aws:lambda:${SAMPLE.region}:${SAMPLE.account}:function:${resource}` : resource;
}

/** The definition as the deployed state machine would hold it. */
function renderDefinition(definitionString: unknown): unknown {
  if (typeof definitionString === 'string') return JSON.parse(definitionString);
  const [separator, parts] = (definitionString as { 'Fn::Join': [string, (string | Intrinsic)[]] })['Fn::Join'];
  return JSON.parse(parts.map((part) => (typeof part === 'string' ? part : placeholder(part))).join(separator));
}

function logicalId(construct: IConstruct): string {
  const stack = Stack.of(construct);
  return stack.resolve(stack.getLogicalId(construct.node.defaultChild as CfnElement)) as string;
}

describe('the synthesized rollout definition', () => {
  it('is valid Amazon States Language', () => {
    // Prepare
    const { template, stack } = sharedSample();
    const machine = template.toJSON().Resources[logicalId(stack.rollout.stateMachine)] as {
      Properties: { DefinitionString: unknown };
    };
    const definition = renderDefinition(machine.Properties.DefinitionString);

    // Act
    const result = aslValidator(definition, { checkPaths: true, checkArn: true });

    // Assess
    expect({ isValid: result.isValid, errors: result.errorsText('\n') }).toEqual({ isValid: true, errors: '' });
  });
});

describe('the scratch assembly directory of a synthesis that reads the construct tree', () => {
  it('is removed once the build returns, and once it throws', () => {
    // Prepare
    const made: string[] = [];
    const build = (outdir: string) => {
      made.push(outdir);
      new Stack(new App({ outdir }), 'Scratch');
      expect(existsSync(outdir)).toBe(true);
    };

    // Act
    withScratchAssembly(build);
    const act = () =>
      withScratchAssembly((outdir) => {
        build(outdir);
        throw new Error('the build failed');
      });

    // Assess
    expect(act).toThrow('the build failed');
    expect(made).toHaveLength(2);
    expect(made.filter((outdir) => existsSync(outdir))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// The definition as a graph: what every Fail can raise, where every Catch goes, and which states
// every path to traffic or promotion passes. These are claims about the real workflow.
// ---------------------------------------------------------------------------------------------

const workflow = synthesizeSampleWorkflow();
const { definition } = workflow;

interface Catcher {
  readonly ErrorEquals: string[];
  readonly Next: string;
  readonly ResultPath?: string;
}
interface ChoiceRule {
  readonly Next: string;
  readonly Variable?: string;
  readonly BooleanEquals?: boolean;
}

function state(name: string): AslState {
  const found = definition.States[name];
  if (!found) throw new Error(`the definition has no state ${name}`);
  return found;
}

function handlerOf(s: AslState): string | undefined {
  return workflow.handlers[String(s.Resource)] ?? workflow.handlers[String(s.Parameters?.FunctionName)];
}

type Edge = { readonly from: string; readonly to: string; readonly kind: 'next' | 'choice' | 'default' | 'catch'; readonly rule?: ChoiceRule; readonly catcher?: Catcher };

function edges(): Edge[] {
  return Object.entries(definition.States).flatMap(([from, s]) => [
    ...(typeof s.Next === 'string' ? [{ from, to: s.Next, kind: 'next' as const }] : []),
    ...((s.Choices as ChoiceRule[] | undefined) ?? []).map((rule) => ({ from, to: rule.Next, kind: 'choice' as const, rule })),
    ...(typeof s.Default === 'string' ? [{ from, to: s.Default, kind: 'default' as const }] : []),
    ...((s.Catch as Catcher[] | undefined) ?? []).map((catcher) => ({ from, to: catcher.Next, kind: 'catch' as const, catcher })),
  ]);
}

/** Whether `target` can be reached from StartAt using only the edges `keep` accepts. */
function reachable(target: string, keep: (edge: Edge) => boolean = () => true): boolean {
  const all = edges().filter(keep);
  const seen = new Set([definition.StartAt]);
  const queue = [definition.StartAt];
  while (queue.length > 0) {
    const current = queue.shift()!;
    for (const edge of all.filter((e) => e.from === current && !seen.has(e.to))) {
      seen.add(edge.to);
      queue.push(edge.to);
    }
  }
  return seen.has(target);
}

/** Every error name Step Functions reserves (the States Language's predefined errors). */
const STATES_ERRORS = [
  'States.ALL',
  'States.DataLimitExceeded',
  'States.ExceedToleratedFailureThreshold',
  'States.HeartbeatTimeout',
  'States.Http.Socket',
  'States.IntrinsicFailure',
  'States.ItemReaderFailed',
  'States.NoChoiceMatched',
  'States.ParameterPathFailure',
  'States.Permissions',
  'States.QueryEvaluationError',
  'States.ResultPathMatchFailure',
  'States.ResultWriterFailed',
  'States.Runtime',
  'States.TaskFailed',
  'States.Timeout',
];

/** What the rollback handler can be handed as the caught error: every reserved name, Lambda errors, odd shapes. */
const CAUGHT_ERRORS: unknown[] = [
  undefined,
  null,
  'States.Timeout',
  42,
  [],
  {},
  { Error: null, Cause: null },
  { Error: 7, Cause: { nested: true } },
  { Error: '', Cause: '' },
  { Error: 'States', Cause: 'x' },
  { Error: ' States.Timeout ', Cause: 'padded' },
  { Error: 'states.timeout', Cause: 'lower case' },
  { Error: 'Lambda.ServiceException', Cause: '{}' },
  { Error: 'CanaryUnhealthy', Cause: JSON.stringify({ errorType: 'CanaryUnhealthy', errorMessage: 'alarm checkout-5xx' }) },
  { Error: 'x'.repeat(500), Cause: 'very long name' },
  { Error: 'Bad\nName', Cause: 'control character' },
  // What a lifecycle hook's failure Pass hands over (lib/hooks.ts): its answer, or the error its task was caught with.
  ...[
    { status: 'fail', reason: 'smoke test answered 500' },
    { status: 'fail' },
    { status: 'pass?' },
    null,
    'pass',
    ...STATES_ERRORS.map((Error) => ({ Error, Cause: 'from Step Functions' })),
    { Error: 'Sandbox.Timedout', Cause: '{"errorMessage":"Task timed out after 900 seconds"}' },
  ].map((answer) => ({ Error: ErrorNames.HookFailed, Cause: { hook: 'beforeTraffic', answer } })),
  ...STATES_ERRORS.flatMap((Error) =>
    [undefined, 'bake', 'approval', 'elsewhere', 5].map((timedOut) => ({ Error, Cause: 'from Step Functions', timedOut })),
  ),
];

/** Every error each Fail state can raise, found by walking back from its ErrorPath to what wrote it. */
function errorsRaisedBy(failName: string): string[] {
  const fail = state(failName);
  if (typeof fail.Error === 'string') return [fail.Error];
  const errorPath = String(fail.ErrorPath);
  const incoming = edges().filter((e) => e.to === failName);
  expect(incoming.length).toBeGreaterThan(0);
  return incoming.flatMap((edge) => {
    if (edge.kind === 'catch' && errorPath === `${edge.catcher!.ResultPath}.Error`) return edge.catcher!.ErrorEquals;
    const from = state(edge.from);
    if (edge.kind === 'next' && handlerOf(from) === 'rollback' && errorPath === `${String(from.ResultPath)}.error`) {
      return CAUGHT_ERRORS.map((caught) => readFailure(caught).error);
    }
    throw new Error(`${failName}'s ErrorPath ${errorPath} is written by ${edge.from} in a way this test does not know`);
  });
}

describe('the definition as a graph', () => {
  const failStates = Object.entries(definition.States)
    .filter(([, s]) => s.Type === 'Fail')
    .map(([name]) => name);

  it('has the Fail states the workflow documents', () => {
    expect(failStates.sort()).toEqual(['LockRefused', 'RollbackFailed', 'RolledBack']);
  });

  it.each(failStates)('%s never raises a States.* error, whatever it was handed', (failName) => {
    // Act
    const raised = errorsRaisedBy(failName);

    // Assess
    expect(raised.length).toBeGreaterThan(0);
    expect(raised.filter((error) => error.startsWith('States.'))).toEqual([]);
  });

  it('names a bake timeout and an approval timeout after the state that timed out', () => {
    // Assess
    for (const [name, mark] of [['Bake', 'MarkBakeTimeout'], ['ApproveStep', 'MarkApprovalTimeout'], ['ApprovePromotion', 'MarkApprovalTimeout']]) {
      const catchers = state(name).Catch as Catcher[];
      expect(catchers[0]).toEqual({ ErrorEquals: ['States.Timeout'], Next: mark, ResultPath: '$.error' });
    }
    expect(state('MarkBakeTimeout')).toMatchObject({ Type: 'Pass', Result: 'bake', ResultPath: '$.error.timedOut', Next: 'Rollback' });
    expect(state('MarkApprovalTimeout')).toMatchObject({ Type: 'Pass', Result: 'approval', ResultPath: '$.error.timedOut', Next: 'Rollback' });
    expect(readFailure({ Error: 'States.Timeout', timedOut: 'bake' }).error).toBe(ErrorNames.BakeTimedOut);
    expect(readFailure({ Error: 'States.Timeout', timedOut: 'approval' }).error).toBe(ErrorNames.ApprovalTimedOut);
  });

  it('asks for approval through request-approval with a task token: the gate, its step, the topic; no retry of a rejection', () => {
    // Assess
    for (const [name, gate, stepPath] of [['ApproveStep', 'step', '$.cursor.step'], ['ApprovePromotion', 'promotion', undefined]] as const) {
      const gateState = state(name);
      expect(gateState.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
      expect(workflow.handlers[String(gateState.Parameters?.FunctionName)]).toBe('request-approval');
      expect(gateState.Parameters?.Payload).toEqual({
        'rollout.$': '$.rollout',
        ...(stepPath && { 'step.$': stepPath }),
        gate,
        approvalTopicArn: expect.stringMatching(/^arn:aws:sns:/),
        'taskToken.$': '$$.Task.Token',
      });
      expect(gateState.TimeoutSeconds).toBe(86_400);
      const retriers = gateState.Retry as Array<{ ErrorEquals: string[]; MaxAttempts?: number }>;
      const terminal = retriers.findIndex((r) => r.ErrorEquals.includes(ErrorNames.ApprovalRejected));
      expect(retriers[terminal]).toMatchObject({ ErrorEquals: expect.arrayContaining(['States.Timeout']), MaxAttempts: 0 });
      expect(terminal).toBeLessThan(retriers.findIndex((r) => r.ErrorEquals.includes('States.ALL')));
    }
  });

  it("sends Lock's own failure to RollbackLock (heldLock false) and every later failure to Rollback (heldLock true)", () => {
    // Prepare
    const catches = edges().filter((e) => e.kind === 'catch');

    // Assess
    expect((state('Lock').Catch as Catcher[]).map((c) => [c.ErrorEquals, c.Next])).toEqual([
      [[ErrorNames.LockHeld], 'LockRefused'],
      [['States.ALL'], 'RollbackLock'],
    ]);
    expect(catches.filter((e) => e.to === 'RollbackLock').map((e) => e.from)).toEqual(['Lock']);
    expect(state('RollbackLock').Parameters).toMatchObject({ heldLock: false });
    expect(state('Rollback').Parameters).toMatchObject({ heldLock: true });
    const afterLock = catches.filter((e) => e.from !== 'Lock' && !['Rollback', 'RollbackLock'].includes(e.from));
    expect(afterLock.length).toBeGreaterThan(0);
    for (const edge of afterLock) expect(['Rollback', 'RestoreStable', 'MarkBakeTimeout', 'MarkApprovalTimeout']).toContain(edge.to);
    expect(state('Validate').Catch).toBeUndefined();
  });

  it.each(['Rollback', 'RollbackLock'])('%s never retries ValidationFailed and ends in RolledBack or RollbackFailed', (name) => {
    // Prepare
    const s = state(name);
    const retriers = s.Retry as Array<{ ErrorEquals: string[]; MaxAttempts?: number }>;
    // The first retrier that matches an error decides how often it is retried.
    const retrierFor = (error: string) => retriers.find((r) => r.ErrorEquals.includes(error) || r.ErrorEquals.includes('States.ALL'));

    // Assess
    expect(retrierFor(ErrorNames.ValidationFailed)).toEqual({ ErrorEquals: [ErrorNames.ValidationFailed], MaxAttempts: 0 });
    expect(retrierFor('Error')).toMatchObject({ ErrorEquals: ['States.ALL'], MaxAttempts: 6 });
    expect(s.Next).toBe('RolledBack');
    expect((s.Catch as Catcher[]).map((c) => c.Next)).toEqual(['RollbackFailed']);
  });

  it.each(['Validate', 'Lock', 'ShiftWeight', 'Bake', 'CheckHealth', 'Finish'])(
    '%s retries throttling that outlived the SDK longer, with full jitter, before its other retriers',
    (name) => {
      // Prepare
      const retriers = state(name).Retry as Array<{ ErrorEquals: string[] }>;
      const retrierFor = (error: string) => retriers.find((r) => r.ErrorEquals.includes(error) || r.ErrorEquals.includes('States.ALL'));

      // Assess
      for (const error of ['Throttling', 'ThrottlingException']) {
        expect(retrierFor(error)).toEqual({
          ErrorEquals: ['Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'TooManyRequestsException'],
          IntervalSeconds: 5,
          MaxAttempts: 6,
          BackoffRate: 2,
          MaxDelaySeconds: 60,
          JitterStrategy: 'FULL',
        });
      }
      expect(retrierFor(ErrorNames.DriftDetected)).toEqual(expect.objectContaining({ MaxAttempts: 0 }));
    },
  );

  it('restores stable and waits for it before a failed promotion moves traffic', () => {
    // Assess
    for (const name of ['PromoteStable', 'CheckStableReady']) {
      expect(state(name).Catch).toEqual([{ ErrorEquals: ['States.ALL'], Next: 'RestoreStable', ResultPath: '$.error' }]);
    }
    expect(handlerOf(state('RestoreStable'))).toBe('restore-stable');
    expect(handlerOf(state('CheckRestoredReady'))).toBe('check-stable-ready');
    // The promotion's error stays in $.error for the cause; a failed restore still ends in Rollback.
    for (const name of ['RestoreStable', 'CheckRestoredReady']) {
      expect(state(name).Catch).toEqual([{ ErrorEquals: ['States.ALL'], Next: 'Rollback', ResultPath: '$.restoreError' }]);
    }
    // From a failed promotion, Rollback is reached only once the restore is ready, needed nothing, or failed.
    const intoRollback = edges().filter((e) => e.to === 'Rollback' && ['RestoreNeeded?', 'StableRestored?'].includes(e.from));
    expect(intoRollback.map((e) => [e.from, e.kind, e.rule?.Variable, e.rule?.BooleanEquals])).toEqual([
      ['RestoreNeeded?', 'default', undefined, undefined],
      ['StableRestored?', 'choice', '$.restoreReady.ready', true],
    ]);
  });

  it('passes the raw execution input to Validate, so any JSON reaches it', () => {
    expect(state('Validate').Parameters).toMatchObject({ 'input.$': '$$.Execution.Input' });
  });

  it('gives the canary traffic only after the CanaryReady? choice saw it ready', () => {
    // Prepare
    const readyBranch = (e: Edge) => e.from === 'CanaryReady?' && e.kind === 'choice' && e.rule?.Variable === '$.canaryReady.ready' && e.rule.BooleanEquals === true;

    // Assess
    expect(reachable('ShiftWeight')).toBe(true);
    expect(reachable('ShiftWeight', (e) => !readyBranch(e))).toBe(false);
  });

  it('promotes only through every step health check, and succeeds only through a ready stable and Finish', () => {
    // Assess
    // The one path that skips CheckHealth is a plan with no steps (CanaryReady? straight to promotion),
    // and the planner refuses such a plan.
    expect(reachable('PromoteStable', (e) => e.from !== 'CheckHealth' && e.from !== 'CanaryReady?')).toBe(false);
    expect(() => planRollout(rolloutRequest({ steps: [] }), targetConfig())).toThrow(/at least one step/);
    expect(reachable('Promoted', (e) => e.from !== 'Finish')).toBe(false);
    expect(reachable('Finish', (e) => !(e.from === 'StableReady?' && e.kind === 'choice' && e.rule?.BooleanEquals === true))).toBe(false);
    expect(reachable('Finish', (e) => e.from !== 'CheckStableReady')).toBe(false);
    // After Finish only Promoted (or Rollback on failure) follows: Finish ends with stable at 100.
    expect(edges().filter((e) => e.from === 'Finish').map((e) => e.to).sort()).toEqual(['Promoted', 'Rollback']);
  });
});

// ---------------------------------------------------------------------------------------------
// The definition run locally (aws-local-stepfunctions, real handlers, stateful fakes): the paths
// above that change what a person or a pipeline sees.
// ---------------------------------------------------------------------------------------------

describe('the synthesized definition, run locally', () => {
  const CANDIDATE = 'registry.local/app:2.0.0';
  const STABLE = 'registry.local/app:1.0.0';
  const { namespace, stableDeployment } = workflow.target.workload;
  const traffic = albTarget(workflow.target.traffic);
  let engine: LocalEngine;

  beforeEach(async () => {
    engine = await LocalEngine.start(workflow, { speed: 1200, rolloutDelayMs: 10, stableImage: STABLE });
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await engine.close();
  });

  afterAll(() => shutdownLocalEngines());

  it.each([null, [], 'registry.local/app:2.0.0', 42, false])('takes the input %p to Validate, which refuses it with a clear message', async (input) => {
    // Act
    const outcome = await engine.start(input).outcome;

    // Assess
    expect(outcome).toMatchObject({ status: 'FAILED', error: ErrorNames.ValidationFailed, states: ['Validate'] });
    expect(outcome.cause).toMatch(/the execution input must be a JSON object such as/);
    expect(engine.mutations()).toEqual([]);
  });

  it('restores the stable images and waits until they are ready before a failed promotion moves traffic', async () => {
    // Prepare
    const execution = engine.start({ image: CANDIDATE, steps: [{ weight: 10, bakeSeconds: 60 }, { weight: 100, bakeSeconds: 60 }] });
    await execution.entered('CheckHealth');
    engine.kube.failNextRollout(namespace, stableDeployment);
    const atTrafficBack: Array<{ image: string; available: number; replicas: number }> = [];
    engine.aws.elbv2.onWeightsChanged((change) => {
      if (change.arn !== (traffic.ruleArn ?? traffic.listenerArn) || change.weights[traffic.canaryTargetGroupArn] !== 0) return;
      const stable = engine.kube.deployment(namespace, stableDeployment);
      atTrafficBack.push({
        image: stable.spec.template.spec.containers[0]!.image,
        available: stable.status.availableReplicas ?? 0,
        replicas: stable.spec.replicas,
      });
    });

    // Act
    const outcome = await execution.outcome;

    // Assess
    expect(outcome).toMatchObject({ status: 'FAILED', error: ErrorNames.RolloutStuck });
    expect(outcome.states.slice(outcome.states.indexOf('PromoteStable'))).toEqual(
      expect.arrayContaining(['RestoreStable', 'RestoreNeeded?', 'CheckRestoredReady', 'StableRestored?', 'Rollback', 'RolledBack']),
    );
    expect(outcome.states.indexOf('StableRestored?')).toBeLessThan(outcome.states.indexOf('Rollback'));
    expect(atTrafficBack.length).toBeGreaterThan(0);
    expect(atTrafficBack[0]).toEqual({ image: STABLE, available: atTrafficBack[0]!.replicas, replicas: atTrafficBack[0]!.replicas });
    expect(atTrafficBack[0]!.replicas).toBeGreaterThan(0);
  });

  it.each<[string, Record<string, unknown>]>([
    ['Cause null', { error: { Error: 'RolloutStuck', Cause: null }, heldLock: true }],
    ['a non-string Error', { error: { Error: 42, Cause: ['x'] }, heldLock: true }],
    ['no error', { heldLock: false }],
    ['a bare string error and no heldLock', { error: 'boom' }],
    ['a heldLock that is not a boolean and extra fields', { error: { Error: 'States.Runtime' }, heldLock: 'yes', extra: { deep: [1, { x: null }] } }],
  ])('rollback accepts an event with %s and names an error', async (_label, rest) => {
    // Prepare
    const rollout = await engine.invoke('validate', {
      executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:checkout:lenient',
      input: { image: CANDIDATE },
      target: workflow.target,
    });

    // Act
    const result = (await engine.invoke('rollback', { rollout: { ...(rollout as object), unknownField: 1 }, ...rest })) as { error: string; cause: string };

    // Assess
    expect(result.error).toMatch(/^(?!States\.)[A-Za-z]/);
    expect(result.cause).toEqual(expect.any(String));
  });

  it('fails a bake that got no callback with BakeTimedOut, not States.Timeout', async () => {
    // Prepare: the bake's schedule is never created, so only the task timeout can end the bake.
    jest.spyOn(engine.aws.scheduler, 'createSchedule').mockImplementation(() => {
      void Promise.resolve().then(() => {
        for (const token of engine.aws.sfn.waitingTokens().filter((t) => t.includes('/Bake/'))) engine.aws.sfn.expire(token);
      });
      return { ScheduleArn: 'arn:aws:scheduler:eu-west-1:123456789012:schedule/serinus/never-fires', $metadata: {} };
    });

    // Act
    const outcome = await engine.start({ image: CANDIDATE, steps: [{ weight: 10, bakeSeconds: 60 }] }).outcome;

    // Assess
    expect(outcome).toMatchObject({ status: 'FAILED', error: ErrorNames.BakeTimedOut });
    expect(outcome.cause).toMatch(/^States\.Timeout: /);
    expect(outcome.states).toEqual(expect.arrayContaining(['Bake', 'MarkBakeTimeout', 'Rollback', 'RolledBack']));
  });
});

// ---------------------------------------------------------------------------------------------
// The states deployment windows and lifecycle hooks add, one at a time (`toStateJson`).
// ---------------------------------------------------------------------------------------------

describe('the window gates and hook states', () => {
  const { stack } = sampleStack();
  const smokeTest = lambda.Function.fromFunctionName(stack, 'SmokeTest', 'payments-smoke-test');
  const payments = new CanaryRollout(
    stack,
    'Payments',
    validRolloutProps(stack, {
      serviceName: 'payments',
      listenerRuleArn: OTHER.ruleArn,
      windows: [DeploymentWindow.of('MON-FRI 09:00-17:00 Europe/Berlin')],
      freezes: [FreezePeriod.of({ start: '2026-12-20', end: '2027-01-04', reason: 'year end' })],
      hooks: {
        beforeTraffic: LifecycleHook.invoke(smokeTest, { timeout: Duration.minutes(2) }),
        afterStep: LifecycleHook.invoke(smokeTest),
        beforePromote: LifecycleHook.withTaskToken(smokeTest),
        afterPromote: LifecycleHook.invoke(smokeTest),
      },
    }),
  );
  const json = (id: string) => stack.resolve((payments.node.findChild(id) as sfn.State).toStateJson()) as AslState;

  it('embeds the calendar in the target configuration', () => {
    expect(payments._targetConfig.calendar).toEqual({
      windows: ['MON-FRI 09:00-17:00 Europe/Berlin'],
      freezes: [{ start: '2026-12-20T00:00:00.000Z', end: '2027-01-05T00:00:00.000Z', reason: 'year end' }],
    });
  });

  it.each([
    ['AwaitStepWindow', { 'rollout.$': '$.rollout', 'step.$': '$.cursor.step' }],
    ['AwaitPromotionWindow', { 'rollout.$': '$.rollout' }],
  ])('%s waits on a task token like a bake: terminal errors are not retried, everything is caught into Rollback', (id, payload) => {
    // Act
    const state = json(id);

    // Assess
    expect(JSON.stringify(state.Resource)).toContain('lambda:invoke.waitForTaskToken');
    expect(state.ResultPath).toBe('$.window');
    expect((state.Parameters as { Payload: object }).Payload).toEqual({ ...payload, 'taskToken.$': '$$.Task.Token' });
    const retry = state.Retry as Array<{ ErrorEquals: string[]; MaxAttempts: number }>;
    // The first retrier that matches an error decides: named errors never, a glitch three times.
    const retrierFor = (error: string) => retry.find((r) => r.ErrorEquals.includes(error) || r.ErrorEquals.includes('States.ALL'));
    expect(retrierFor(ErrorNames.NoDeploymentWindow)).toMatchObject({ MaxAttempts: 0 });
    expect(retrierFor(ErrorNames.CanaryUnhealthy)).toMatchObject({ MaxAttempts: 0 });
    expect(retrierFor('Error')).toMatchObject({ ErrorEquals: ['States.ALL'], MaxAttempts: 3 });
    expect(state.Catch).toEqual([{ ErrorEquals: ['States.ALL'], Next: 'Rollback', ResultPath: '$.error' }]);
  });

  it.each([
    ['BeforeTraffic', 120, 'Rollback', false],
    ['AfterStep', 300, 'Rollback', false],
    ['BeforePromote', 3600, 'Rollback', true],
    ['AfterPromote', 300, 'RestoreStable', false],
  ])('%sHook retries only the Lambda service, hands every failure to its HookFailed pass, and times out', (name, seconds, onFailure, callback) => {
    // Act
    const task = json(`${name}Hook`);
    const failed = json(`${name}HookFailed`);
    const choice = json(`${name}HookPassed?`);

    // Assess
    expect(task).toMatchObject({ TimeoutSeconds: seconds, ResultPath: '$.hookAnswer' });
    expect(JSON.stringify(task.Resource).includes('waitForTaskToken')).toBe(callback);
    expect((task.Retry as Array<{ ErrorEquals: string[] }>).flatMap((r) => r.ErrorEquals).filter((e) => !e.startsWith('Lambda.'))).toEqual([]);
    expect(task.Catch).toEqual([{ ErrorEquals: ['States.ALL'], Next: `${name}HookFailed`, ResultPath: '$.hookAnswer' }]);
    expect(failed).toMatchObject({
      Type: 'Pass',
      Parameters: { Error: ErrorNames.HookFailed, Cause: { hook: name.charAt(0).toLowerCase() + name.slice(1), 'answer.$': '$.hookAnswer' } },
      ResultPath: '$.error',
      Next: onFailure,
    });
    // The status is compared only once it is known to exist.
    expect((choice.Choices as Array<Record<string, unknown>>).map((rule) => rule.Next)).toEqual([`${name}HookFailed`, expect.any(String)]);
    expect((choice.Choices as Array<Record<string, unknown>>)[0]).toMatchObject({ Not: { Variable: '$.hookAnswer.status', IsPresent: true } });
    expect((choice.Choices as Array<Record<string, unknown>>)[1]).toMatchObject({ Variable: '$.hookAnswer.status', StringEquals: 'pass' });
    expect(choice.Default).toBe(`${name}HookFailed`);
  });

  it('names a hook failure HookFailed or HookTimedOut with the hook’s reason, never a States.* error', () => {
    const hookError = (answer: unknown) => readFailure({ Error: ErrorNames.HookFailed, Cause: { hook: 'beforeTraffic', answer } });
    expect(hookError({ status: 'fail', reason: 'smoke test answered 500' })).toEqual({
      error: ErrorNames.HookFailed,
      cause: 'HookFailed: lifecycle hook beforeTraffic failed: smoke test answered 500',
    });
    expect(hookError({ Error: 'States.Timeout', Cause: 'timed out' }).error).toBe(ErrorNames.HookTimedOut);
    expect(hookError({ Error: 'States.HeartbeatTimeout' }).error).toBe(ErrorNames.HookTimedOut);
    expect(hookError(null)).toMatchObject({ error: ErrorNames.HookFailed, cause: expect.stringMatching(/answered null, not/) });
  });
});

import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import type { TargetConfig } from '../lambda/domain/types';
import type { TimedOutState } from '../lambda/domain/failure';
import { ErrorNames, THROTTLING_ERROR_NAMES } from '../lambda/errors';
import type { WorkflowHandlerName } from '../lambda/handler-names';
import { hookStates, type HookPoint, type LifecycleHooks } from './hooks';
import { windowGate } from './windows';

export interface RolloutWorkflowProps {
  /** One function per workflow handler, from the shared engine. */
  readonly functions: Record<WorkflowHandlerName, lambda.IFunction>;
  /** Where this service's rollouts act. Embedded in the definition; CDK tokens are fine. */
  readonly target: TargetConfig;
  /** Approval requests, in words, are published here (the token stays on the rollout record). */
  readonly approvalTopic: sns.ITopic;
  /** How long an approval gate waits before the rollout rolls back. */
  readonly approvalTimeout: Duration;
  /** Gate every weight increase and the promotion on the deployment calendar (`target.calendar`). @default false */
  readonly windowGates?: boolean;
  /** User functions run at the hook points. @default - none */
  readonly hooks?: LifecycleHooks;
}

/**
 * Errors that describe the rollout, not a glitch: retrying cannot change them. Everything else a
 * handler throws (throttling that outlived the SDK's retries, a network error) is retried, which is
 * safe because every mutating step is idempotent.
 */
export const TERMINAL_ERRORS: string[] = [...Object.values(ErrorNames), 'States.Timeout'];

const ROLLOUT = { 'rollout.$': '$.rollout' };
const STEP = { 'rollout.$': '$.rollout', 'step.$': '$.cursor.step' };

/**
 * The rollout as a Standard workflow in JSONPath. Steps loop with a Choice on an index (not a Map),
 * bakes wait on a task token, and every failure after the lock is caught into Rollback, which ends
 * the execution with a cause a person can read.
 *
 * Validate ─ Lock ─ DeployCanary ─ (poll) CheckCanaryReady ─ [beforeTraffic hook]
 *   ─ per step: [approval] ─ [window] ─ ShiftWeight ─ Bake (settle time + bake time) ─ CheckHealth ─ [afterStep hook]
 *   ─ [approval] ─ [beforePromote hook] ─ [window] ─ PromoteStable ─ (poll) CheckStableReady ─ [afterPromote hook] ─ Finish
 *
 * Lock's own failure ─ RollbackLock (heldLock false); any later failure ─ Rollback (heldLock true);
 * a failed promotion ─ RestoreStable ─ (poll) CheckRestoredReady ─ Rollback.
 */
export function buildRolloutDefinition(scope: Construct, props: RolloutWorkflowProps): sfn.IChainable {
  const { functions, target } = props;
  const timing = target.timing;

  const invoke = (id: string, handler: WorkflowHandlerName, payload: Record<string, unknown>, resultPath: string) => {
    const task = new tasks.LambdaInvoke(scope, id, {
      lambdaFunction: functions[handler],
      payload: sfn.TaskInput.fromObject(payload),
      payloadResponseOnly: true,
      resultPath,
    });
    retryTransient(task);
    return task;
  };

  // Rollback and its two endings. The rollback handler names the error the execution fails with
  // (never a `States.*` name) and the cause.
  const rolledBack = new sfn.Fail(scope, 'RolledBack', { errorPath: '$.rollback.error', causePath: '$.rollback.cause' });
  const rollbackFailed = new sfn.Fail(scope, 'RollbackFailed', {
    error: ErrorNames.RollbackFailed,
    causePath: '$.rollbackError.Cause',
  });
  const rollbackState = (id: string, heldLock: boolean) => {
    const task = new tasks.LambdaInvoke(scope, id, {
      lambdaFunction: functions.rollback,
      payload: sfn.TaskInput.fromObject({ ...ROLLOUT, 'error.$': '$.error', heldLock }),
      payloadResponseOnly: true,
      resultPath: '$.rollback',
    });
    // A refused event is not transient: retrying it only delays RollbackFailed (and cleanup).
    task.addRetry({ errors: [ErrorNames.ValidationFailed], maxAttempts: 0 });
    task.addRetry({ errors: ['States.ALL'], interval: Duration.seconds(5), maxAttempts: 6, backoffRate: 2 });
    task.addCatch(rollbackFailed, { errors: ['States.ALL'], resultPath: '$.rollbackError' });
    task.next(rolledBack);
    return task;
  };
  // Every state after Lock ran while this execution held the lock: traffic goes to stable first.
  const rollback = rollbackState('Rollback', true);
  const onErrorRollBack = <T extends sfn.TaskStateBase>(state: T): T => {
    state.addCatch(rollback, { errors: ['States.ALL'], resultPath: '$.error' });
    return state;
  };
  // A timeout arrives as `States.Timeout`, which names no state: mark which one before Rollback names the error.
  const timeoutMark = (id: string, state: TimedOutState) =>
    new sfn.Pass(scope, id, { result: sfn.Result.fromString(state), resultPath: '$.error.timedOut' }).next(rollback);
  const bakeTimedOut = timeoutMark('MarkBakeTimeout', 'bake');
  const approvalTimedOut = timeoutMark('MarkApprovalTimeout', 'approval');
  const onTimeout = <T extends sfn.TaskStateBase>(state: T, mark: sfn.IChainable): T => {
    state.addCatch(mark, { errors: ['States.Timeout'], resultPath: '$.error' });
    return state;
  };

  // Validate and lock. Nothing changes before both succeed.
  const validate = new tasks.LambdaInvoke(scope, 'Validate', {
    lambdaFunction: functions.validate,
    // The input from the context object, not `$`: any JSON (null, a list, a string) reaches Validate,
    // which says what is wrong with it.
    payload: sfn.TaskInput.fromObject({ 'executionArn.$': '$$.Execution.Id', 'input.$': '$$.Execution.Input', target }),
    payloadResponseOnly: true,
    // The default ResultPath ($) replaces the raw input with `{ rollout, cursor }`: the step loop's
    // cursor starts here rather than in a Pass state of its own (one state transition less).
    resultSelector: { 'rollout.$': '$', cursor: { index: 0 } },
  });
  retryTransient(validate);
  const dryRun = new sfn.Succeed(scope, 'DryRunComplete', { outputPath: '$.rollout.plan' });
  // A release train's image (from its SSM parameter) that stable already runs: a success that says so, no lock.
  const alreadyRunning = new sfn.Succeed(scope, 'AlreadyRunning', { outputPath: '$.rollout.alreadyRunning' });
  const lock = invoke('Lock', 'acquire-lock', ROLLOUT, '$.lock');
  lock.addCatch(new sfn.Fail(scope, 'LockRefused', { error: ErrorNames.LockHeld, causePath: '$.error.Cause' }), {
    errors: [ErrorNames.LockHeld],
    resultPath: '$.error',
  });
  // Lock's own failure may have left the lock with another execution: read the record before acting.
  lock.addCatch(rollbackState('RollbackLock', false), { errors: ['States.ALL'], resultPath: '$.error' });

  // Canary up and ready.
  const deployCanary = onErrorRollBack(invoke('DeployCanary', 'deploy-canary', ROLLOUT, '$.canary'));
  const checkCanary = onErrorRollBack(
    invoke('CheckCanaryReady', 'check-canary-ready', { ...ROLLOUT, 'since.$': '$.canary.since' }, '$.canaryReady'),
  );
  const waitCanary = new sfn.Wait(scope, 'WaitForCanary', { time: sfn.WaitTime.duration(Duration.seconds(timing.pollSeconds)) });

  // The step loop. `cursor.index` counts the steps selected so far: SelectStep takes the step at the
  // index and moves the index on in one state, so no Pass after CheckHealth is needed.
  const selectStep = new sfn.Pass(scope, 'SelectStep', {
    parameters: {
      'index.$': 'States.MathAdd($.cursor.index, 1)',
      'step.$': 'States.ArrayGetItem($.rollout.plan.steps, $.cursor.index)',
    },
    resultPath: '$.cursor',
  });
  const approveStep = onErrorRollBack(onTimeout(approval(scope, 'ApproveStep', props, 'step'), approvalTimedOut));
  const shiftWeight = onErrorRollBack(invoke('ShiftWeight', 'shift-weight', STEP, '$.shift'));
  // The settle time after a weight write is part of the bake: start-bake schedules its end at
  // settle + bake seconds, so no Wait state runs between ShiftWeight and Bake.
  const bake = new tasks.LambdaInvoke(scope, 'Bake', {
    lambdaFunction: functions['start-bake'],
    integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
    payload: sfn.TaskInput.fromObject({ ...STEP, taskToken: sfn.JsonPath.taskToken }),
    taskTimeout: sfn.Timeout.at('$.cursor.step.timeoutSeconds'),
    resultPath: '$.bake',
  });
  retryTransient(bake);
  onErrorRollBack(onTimeout(bake, bakeTimedOut));
  // Deployment windows (lib/windows.ts) and lifecycle hooks (lib/hooks.ts): states only where set.
  const gate = (id: string, stepPath?: string) =>
    props.windowGates ? onErrorRollBack(windowGate(scope, id, functions['await-window'], stepPath, retryTransient)) : undefined;
  const hook = (point: HookPoint, onFailure: sfn.IChainable, next: sfn.IChainable) => {
    const configured = props.hooks?.[point];
    return configured ? hookStates(scope, point, configured, target, onFailure, next) : next;
  };
  const stepGate = gate('AwaitStepWindow', '$.cursor.step');
  // CheckHealth learns what runs between it and the next step's ShiftWeight besides the loop below
  // (lambda/domain/next-shift.ts): with nothing, that ShiftWeight's own gate reads the canary's targets.
  const betweenSteps = { windowGate: stepGate !== undefined, afterStepHook: props.hooks?.afterStep !== undefined };
  const checkHealth = onErrorRollBack(invoke('CheckHealth', 'check-health', { ...STEP, betweenSteps }, '$.health'));

  // Promotion.
  const approvePromotion = onErrorRollBack(
    onTimeout(approval(scope, 'ApprovePromotion', props, 'promotion'), approvalTimedOut),
  );

  // A failed promotion: the canary passed every bake and is serving, so stable gets its previous images
  // back and is ready again before Rollback moves the traffic. A restore that cannot finish within the
  // ready timeout still ends in Rollback; `$.error` keeps the promotion's error for the cause.
  const restoreStable = invoke('RestoreStable', 'restore-stable', ROLLOUT, '$.restore');
  const checkRestored = invoke(
    'CheckRestoredReady',
    'check-stable-ready',
    { ...ROLLOUT, 'since.$': '$.restore.since' },
    '$.restoreReady',
  );
  for (const state of [restoreStable, checkRestored]) {
    state.addCatch(rollback, { errors: ['States.ALL'], resultPath: '$.restoreError' });
  }
  const waitRestored = new sfn.Wait(scope, 'WaitForRestore', { time: sfn.WaitTime.duration(Duration.seconds(timing.pollSeconds)) });
  restoreStable.next(
    new sfn.Choice(scope, 'RestoreNeeded?')
      .when(
        sfn.Condition.booleanEquals('$.restore.restored', true),
        checkRestored.next(
          new sfn.Choice(scope, 'StableRestored?')
            .when(sfn.Condition.booleanEquals('$.restoreReady.ready', true), rollback)
            .otherwise(waitRestored.next(checkRestored)),
        ),
      )
      .otherwise(rollback),
  );
  const onPromotionErrorRestore = <T extends sfn.TaskStateBase>(state: T): T => {
    state.addCatch(restoreStable, { errors: ['States.ALL'], resultPath: '$.error' });
    return state;
  };
  const promote = onPromotionErrorRestore(invoke('PromoteStable', 'promote-stable', ROLLOUT, '$.promotion'));
  const checkStable = onPromotionErrorRestore(
    invoke('CheckStableReady', 'check-stable-ready', { ...ROLLOUT, 'since.$': '$.promotion.since' }, '$.stableReady'),
  );
  const waitStable = new sfn.Wait(scope, 'WaitForStable', { time: sfn.WaitTime.duration(Duration.seconds(timing.pollSeconds)) });
  const finish = onErrorRollBack(invoke('Finish', 'finish', ROLLOUT, '$.result'));
  const promoted = new sfn.Succeed(scope, 'Promoted', { outputPath: '$.result' });

  promote
    .next(checkStable)
    .next(
      new sfn.Choice(scope, 'StableReady?')
        .when(sfn.Condition.booleanEquals('$.stableReady.ready', true), hook('afterPromote', restoreStable, finish.next(promoted)))
        .otherwise(waitStable.next(checkStable)),
    );
  const promotionGate = gate('AwaitPromotionWindow');
  const promotion = hook('beforePromote', rollback, promotionGate ? promotionGate.next(promote) : promote);

  const stepLoop = new sfn.Choice(scope, 'MoreSteps?');
  shiftWeight.next(bake).next(checkHealth).next(hook('afterStep', rollback, stepLoop));
  const stepBody = stepGate ? stepGate.next(shiftWeight) : shiftWeight;
  stepLoop
    .when(
      sfn.Condition.numberLessThanJsonPath('$.cursor.index', '$.rollout.stepCount'),
      selectStep.next(
        new sfn.Choice(scope, 'ApproveStep?')
          .when(sfn.Condition.booleanEquals('$.cursor.step.approvalBefore', true), approveStep.next(stepBody))
          .otherwise(stepBody),
      ),
    )
    .otherwise(
      new sfn.Choice(scope, 'ApprovePromotion?')
        .when(sfn.Condition.booleanEquals('$.rollout.plan.approvalBeforePromote', true), approvePromotion.next(promotion))
        .otherwise(promotion),
    );

  const canaryReady = new sfn.Choice(scope, 'CanaryReady?')
    .when(sfn.Condition.booleanEquals('$.canaryReady.ready', true), hook('beforeTraffic', rollback, stepLoop))
    .otherwise(waitCanary.next(checkCanary));

  return validate.next(
    new sfn.Choice(scope, 'DryRun?')
      .when(sfn.Condition.isPresent('$.rollout.alreadyRunning'), alreadyRunning)
      .when(sfn.Condition.booleanEquals('$.rollout.request.dryRun', true), dryRun)
      .otherwise(lock.next(deployCanary).next(checkCanary).next(canaryReady)),
  );
}

function retryTransient(task: sfn.TaskStateBase): void {
  // The first matching retrier wins: terminal errors get zero attempts, throttling that outlived the
  // SDK's and the router's retries six more with jittered backoff (a busy account must not fail a
  // rollout; concurrent rollouts must not retry in step), anything else three.
  task.addRetry({ errors: TERMINAL_ERRORS, maxAttempts: 0 });
  task.addRetry({
    errors: [...THROTTLING_ERROR_NAMES],
    interval: Duration.seconds(5),
    maxAttempts: 6,
    backoffRate: 2,
    maxDelay: Duration.seconds(60),
    jitterStrategy: sfn.JitterType.FULL,
  });
  task.addRetry({ errors: ['States.ALL'], interval: Duration.seconds(2), maxAttempts: 3, backoffRate: 2 });
}

/**
 * An approval gate: the request-approval function puts the task token on the rollout record and
 * tells people (the approval topic, the Awaiting Approval event) what is being approved and that
 * `serinus approve|reject <service>` answers it; then the gate waits. A rejection (SendTaskFailure
 * with error ApprovalRejected) or the timeout rolls the rollout back.
 */
function approval(scope: Construct, id: string, props: RolloutWorkflowProps, gate: 'step' | 'promotion') {
  const task = new tasks.LambdaInvoke(scope, id, {
    lambdaFunction: props.functions['request-approval'],
    integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
    payload: sfn.TaskInput.fromObject({
      ...(gate === 'step' ? STEP : ROLLOUT),
      gate,
      approvalTopicArn: props.approvalTopic.topicArn,
      taskToken: sfn.JsonPath.taskToken,
    }),
    taskTimeout: sfn.Timeout.duration(props.approvalTimeout),
    resultPath: sfn.JsonPath.DISCARD,
  });
  retryTransient(task);
  return task;
}

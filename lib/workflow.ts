import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import type { TargetConfig } from '../lambda/domain/types';
import { ErrorNames } from '../lambda/errors';
import type { WorkflowHandlerName } from '../lambda/handler-names';

export interface RolloutWorkflowProps {
  /** One function per workflow handler, from the shared engine. */
  readonly functions: Record<WorkflowHandlerName, lambda.IFunction>;
  /** Where this service's rollouts act. Embedded in the definition; CDK tokens are fine. */
  readonly target: TargetConfig;
  /** Approval requests (with the task token) are published here. */
  readonly approvalTopic: sns.ITopic;
  /** How long an approval gate waits before the rollout rolls back. */
  readonly approvalTimeout: Duration;
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
 * Validate ─ Lock ─ DeployCanary ─ (poll) CheckCanaryReady
 *   ─ per step: [approval] ─ ShiftWeight ─ Settle ─ Bake ─ CheckHealth
 *   ─ [approval] ─ PromoteStable ─ (poll) CheckStableReady ─ Finish
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

  // Rollback and its two endings.
  const rolledBack = new sfn.Fail(scope, 'RolledBack', { errorPath: '$.error.Error', causePath: '$.rollback.cause' });
  const rollbackFailed = new sfn.Fail(scope, 'RollbackFailed', {
    error: 'RollbackFailed',
    causePath: '$.rollbackError.Cause',
  });
  const rollback = new tasks.LambdaInvoke(scope, 'Rollback', {
    lambdaFunction: functions.rollback,
    payload: sfn.TaskInput.fromObject({ ...ROLLOUT, 'error.$': '$.error' }),
    payloadResponseOnly: true,
    resultPath: '$.rollback',
  });
  rollback.addRetry({ errors: ['States.ALL'], interval: Duration.seconds(5), maxAttempts: 6, backoffRate: 2 });
  rollback.addCatch(rollbackFailed, { errors: ['States.ALL'], resultPath: '$.rollbackError' });
  rollback.next(rolledBack);
  const onErrorRollBack = <T extends sfn.TaskStateBase>(state: T): T => {
    state.addCatch(rollback, { errors: ['States.ALL'], resultPath: '$.error' });
    return state;
  };

  // Validate and lock. Nothing changes before both succeed.
  const validate = new tasks.LambdaInvoke(scope, 'Validate', {
    lambdaFunction: functions.validate,
    payload: sfn.TaskInput.fromObject({ 'executionArn.$': '$$.Execution.Id', 'input.$': '$', target }),
    payloadResponseOnly: true,
    // The default ResultPath ($) replaces the raw input with `{ rollout }`.
    resultSelector: { 'rollout.$': '$' },
  });
  retryTransient(validate);
  const dryRun = new sfn.Succeed(scope, 'DryRunComplete', { outputPath: '$.rollout.plan' });
  const lock = invoke('Lock', 'acquire-lock', ROLLOUT, '$.lock');
  lock.addCatch(new sfn.Fail(scope, 'LockRefused', { errorPath: '$.error.Error', causePath: '$.error.Cause' }), {
    errors: [ErrorNames.LockHeld],
    resultPath: '$.error',
  });
  onErrorRollBack(lock);

  // Canary up and ready.
  const deployCanary = onErrorRollBack(invoke('DeployCanary', 'deploy-canary', ROLLOUT, '$.canary'));
  const checkCanary = onErrorRollBack(
    invoke('CheckCanaryReady', 'check-canary-ready', { ...ROLLOUT, 'since.$': '$.canary.since' }, '$.canaryReady'),
  );
  const waitCanary = new sfn.Wait(scope, 'WaitForCanary', { time: sfn.WaitTime.duration(Duration.seconds(timing.pollSeconds)) });

  // The step loop.
  const startSteps = new sfn.Pass(scope, 'StartSteps', { parameters: { index: 0 }, resultPath: '$.cursor' });
  const selectStep = new sfn.Pass(scope, 'SelectStep', {
    parameters: {
      'index.$': '$.cursor.index',
      'step.$': 'States.ArrayGetItem($.rollout.plan.steps, $.cursor.index)',
    },
    resultPath: '$.cursor',
  });
  const approveStep = onErrorRollBack(approval(scope, 'ApproveStep', props, 'step', '$.cursor.step'));
  const shiftWeight = onErrorRollBack(invoke('ShiftWeight', 'shift-weight', STEP, '$.shift'));
  const settle = new sfn.Wait(scope, 'Settle', { time: sfn.WaitTime.duration(Duration.seconds(timing.settleSeconds)) });
  const bake = new tasks.LambdaInvoke(scope, 'Bake', {
    lambdaFunction: functions['start-bake'],
    integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
    payload: sfn.TaskInput.fromObject({ ...STEP, taskToken: sfn.JsonPath.taskToken }),
    taskTimeout: sfn.Timeout.at('$.cursor.step.timeoutSeconds'),
    resultPath: '$.bake',
  });
  retryTransient(bake);
  onErrorRollBack(bake);
  const checkHealth = onErrorRollBack(invoke('CheckHealth', 'check-health', STEP, '$.health'));
  const nextStep = new sfn.Pass(scope, 'NextStep', {
    parameters: { 'index.$': 'States.MathAdd($.cursor.index, 1)' },
    resultPath: '$.cursor',
  });

  // Promotion.
  const approvePromotion = onErrorRollBack(approval(scope, 'ApprovePromotion', props, 'promotion', '$.rollout.plan'));
  const promote = onErrorRollBack(invoke('PromoteStable', 'promote-stable', ROLLOUT, '$.promotion'));
  const checkStable = onErrorRollBack(
    invoke('CheckStableReady', 'check-stable-ready', { ...ROLLOUT, 'since.$': '$.promotion.since' }, '$.stableReady'),
  );
  const waitStable = new sfn.Wait(scope, 'WaitForStable', { time: sfn.WaitTime.duration(Duration.seconds(timing.pollSeconds)) });
  const finish = onErrorRollBack(invoke('Finish', 'finish', ROLLOUT, '$.result'));
  const promoted = new sfn.Succeed(scope, 'Promoted', { outputPath: '$.result' });

  const promotion = promote
    .next(checkStable)
    .next(
      new sfn.Choice(scope, 'StableReady?')
        .when(sfn.Condition.booleanEquals('$.stableReady.ready', true), finish.next(promoted))
        .otherwise(waitStable.next(checkStable)),
    );

  const stepLoop = new sfn.Choice(scope, 'MoreSteps?');
  const stepBody = shiftWeight.next(settle).next(bake).next(checkHealth).next(nextStep).next(stepLoop);
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
    .when(sfn.Condition.booleanEquals('$.canaryReady.ready', true), startSteps.next(stepLoop))
    .otherwise(waitCanary.next(checkCanary));

  return validate.next(
    new sfn.Choice(scope, 'DryRun?')
      .when(sfn.Condition.booleanEquals('$.rollout.request.dryRun', true), dryRun)
      .otherwise(lock.next(deployCanary).next(checkCanary).next(canaryReady)),
  );
}

function retryTransient(task: sfn.TaskStateBase): void {
  // The first matching retrier wins: terminal errors get zero attempts, anything else three.
  task.addRetry({ errors: TERMINAL_ERRORS, maxAttempts: 0 });
  task.addRetry({ errors: ['States.ALL'], interval: Duration.seconds(2), maxAttempts: 3, backoffRate: 2 });
}

/**
 * An approval gate: publishes the task token with the commands that answer it, and waits. A
 * rejection (SendTaskFailure with error ApprovalRejected) or the timeout rolls the rollout back.
 */
function approval(scope: Construct, id: string, props: RolloutWorkflowProps, gate: 'step' | 'promotion', detailPath: string) {
  return new tasks.SnsPublish(scope, id, {
    topic: props.approvalTopic,
    integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
    subject: `serinus: approval needed for ${props.target.service}`,
    message: sfn.TaskInput.fromObject({
      service: props.target.service,
      gate,
      'executionArn.$': '$$.Execution.Id',
      'detail.$': detailPath,
      taskToken: sfn.JsonPath.taskToken,
      approve: 'aws stepfunctions send-task-success --task-output "{}" --task-token <taskToken>',
      reject: `aws stepfunctions send-task-failure --error ${ErrorNames.ApprovalRejected} --cause "<why>" --task-token <taskToken>`,
    }),
    taskTimeout: sfn.Timeout.duration(props.approvalTimeout),
    resultPath: sfn.JsonPath.DISCARD,
  });
}

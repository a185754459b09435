/**
 * Lifecycle hooks: user Lambda functions that run at named points of a rollout and decide whether
 * it goes on. A hook receives
 * `{ service, executionArn, hook, step, weights, images, canary, taskToken? }` and answers
 * `{ status: 'pass' | 'fail', reason }`, from its return value or, with `withTaskToken`, through
 * SendTaskSuccess. Anything but a pass, an error or the timeout rolls the rollout back (HookFailed,
 * HookTimedOut) with the hook's reason as the cause.
 */
import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import type { TargetConfig } from '../lambda/domain/types';
import { ErrorNames } from '../lambda/errors';

/** The points of a rollout where a hook may run. */
export const HOOK_POINTS = ['beforeTraffic', 'afterStep', 'beforePromote', 'afterPromote'] as const;
export type HookPoint = (typeof HOOK_POINTS)[number];

export interface LifecycleHookOptions {
  /**
   * How long the hook may take to answer; past it the rollout rolls back with HookTimedOut.
   * @default Duration.minutes(5) for `invoke`, Duration.hours(1) for `withTaskToken`
   */
  readonly timeout?: Duration;
}

/** A user function run at a hook point. */
export class LifecycleHook {
  /** The function answers with its return value, `{ status, reason }`. */
  static invoke(fn: lambda.IFunction, options: LifecycleHookOptions = {}): LifecycleHook {
    return new LifecycleHook(fn, false, options.timeout ?? Duration.minutes(5));
  }

  /**
   * The function receives a `taskToken` and answers later, from anywhere, with Step Functions'
   * SendTaskSuccess (`output` `{"status": "pass" | "fail", "reason": "…"}`); a SendTaskFailure fails
   * the hook too.
   */
  static withTaskToken(fn: lambda.IFunction, options: LifecycleHookOptions = {}): LifecycleHook {
    return new LifecycleHook(fn, true, options.timeout ?? Duration.hours(1));
  }

  private constructor(
    readonly fn: lambda.IFunction,
    /** Whether the hook answers through a task token. */
    readonly callback: boolean,
    readonly timeout: Duration,
  ) {}
}

/** Hooks per point; each is optional. */
export interface LifecycleHooks {
  /**
   * The canary is ready and nothing is routed to it yet: typically a smoke test of the canary
   * target group or its Service. A failure rolls back before any user request reaches the canary.
   * @default - no hook
   */
  readonly beforeTraffic?: LifecycleHook;
  /**
   * After each step's bake passed its health check, before the next weight increase.
   * @default - no hook
   */
  readonly afterStep?: LifecycleHook;
  /**
   * After the last step, before the stable Deployment gets the candidate.
   * @default - no hook
   */
  readonly beforePromote?: LifecycleHook;
  /**
   * The stable Deployment runs the candidate and is ready; traffic has not yet left the canary. A
   * failure restores stable's previous images, then rolls back.
   * @default - no hook
   */
  readonly afterPromote?: LifecycleHook;
}

/** Every hook's function, once each, in hook-point order. */
export function hookFunctions(hooks: LifecycleHooks | undefined): lambda.IFunction[] {
  const fns = HOOK_POINTS.map((point) => hooks?.[point]?.fn).filter((fn): fn is lambda.IFunction => fn !== undefined);
  return [...new Set(fns)];
}

/** Where the hook payload's weights come from at each point. */
const WEIGHTS_PATH: Record<HookPoint, string> = {
  beforeTraffic: '$.lock.startWeights',
  afterStep: '$.shift.weights',
  beforePromote: '$.shift.weights',
  afterPromote: '$.shift.weights',
};

/** The errors of the Lambda service itself, retried; the hook's own errors are not (a hook need not be idempotent). */
const LAMBDA_SERVICE_ERRORS = ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'];

/**
 * The states of one hook point: the invoke, a Choice on its answer, and a Pass that hands anything
 * but a pass to `onFailure` as `$.error` = `{Error: HookFailed, Cause: {hook, answer}}`, which
 * lambda/domain/failure.ts turns into HookFailed or HookTimedOut with the hook's reason.
 * @returns the chain to put at the point; it continues with `next`.
 */
export function hookStates(
  scope: Construct,
  point: HookPoint,
  hook: LifecycleHook,
  target: TargetConfig,
  onFailure: sfn.IChainable,
  next: sfn.IChainable,
): sfn.IChainable {
  const name = point.charAt(0).toUpperCase() + point.slice(1);
  const payload = {
    service: target.service,
    'executionArn.$': '$$.Execution.Id',
    hook: point,
    ...(point === 'afterStep' ? { 'step.$': '$.cursor.step' } : {}),
    'weights.$': WEIGHTS_PATH[point],
    images: { 'candidate.$': '$.rollout.request.images' },
    canary: {
      targetGroupArn: target.traffic.canaryTargetGroupArn,
      namespace: target.workload.namespace,
      deployment: target.workload.canaryDeployment,
    },
    ...(hook.callback && { taskToken: sfn.JsonPath.taskToken }),
  };
  const task = new tasks.LambdaInvoke(scope, `${name}Hook`, {
    lambdaFunction: hook.fn,
    payload: sfn.TaskInput.fromObject(payload),
    ...(hook.callback ? { integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN } : { payloadResponseOnly: true }),
    taskTimeout: sfn.Timeout.duration(hook.timeout),
    resultPath: '$.hookAnswer',
    retryOnServiceExceptions: false,
  });
  task.addRetry({ errors: LAMBDA_SERVICE_ERRORS, interval: Duration.seconds(2), maxAttempts: 3, backoffRate: 2 });
  const failed = new sfn.Pass(scope, `${name}HookFailed`, {
    parameters: { Error: ErrorNames.HookFailed, Cause: { hook: point, 'answer.$': '$.hookAnswer' } },
    resultPath: '$.error',
  }).next(onFailure);
  task.addCatch(failed, { errors: ['States.ALL'], resultPath: '$.hookAnswer' });
  return task.next(
    new sfn.Choice(scope, `${name}HookPassed?`)
      // In order: the status is compared only where it exists (a missing path would fail the Choice).
      .when(sfn.Condition.not(sfn.Condition.isPresent('$.hookAnswer.status')), failed)
      .when(sfn.Condition.stringEquals('$.hookAnswer.status', 'pass'), next)
      .otherwise(failed),
  );
}

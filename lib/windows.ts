/**
 * Deployment windows and freezes of a CanaryRollout, and the gate state the workflow puts before
 * every weight increase and before the promotion when the construct sets any.
 */
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { parseFreeze, parseWindow } from '../lambda/domain/windows';
import type { DeploymentCalendar, FreezeSpec } from '../lambda/domain/windows';

/**
 * A weekly window in which a rollout may raise the canary's weight and promote. Outside every
 * window a rollout holds its weight (its bakes and alarms go on) until the next one opens.
 */
export class DeploymentWindow {
  /**
   * A window written as `DAYS HH:MM-HH:MM TIME_ZONE`: days are MON…SUN, ranges (`MON-FRI`, `FRI-MON`)
   * and lists (`MON,WED`); an end at or before the start spans midnight (`FRI 22:00-02:00` ends on
   * Saturday); `24:00` ends at midnight; the zone is an IANA name (`Europe/Berlin`, `UTC`), and DST
   * is applied as the zone's wall clock does.
   * @throws ValidationFailedError when the text does not parse.
   */
  static of(text: string): DeploymentWindow {
    parseWindow(text);
    return new DeploymentWindow(text.trim());
  }

  private constructor(
    /** The window as written. */
    readonly text: string,
  ) {}
}

/** A freeze's bounds. */
export interface FreezePeriodProps {
  /** ISO-8601 date (`2026-12-20`, a UTC day) or date-time with a zone (`2026-12-20T18:00:00+01:00`). */
  readonly start: string;
  /** ISO-8601 date (included: the freeze lasts to its end) or date-time with a zone (excluded). */
  readonly end: string;
  /**
   * Why: shown in the rollout's status while it waits.
   * @default - no reason
   */
  readonly reason?: string;
}

/** A period in which no rollout raises the canary's weight or promotes, whatever the windows say. */
export class FreezePeriod {
  /** @throws ValidationFailedError when a bound does not parse or the end is not after the start. */
  static of(props: FreezePeriodProps): FreezePeriod {
    return new FreezePeriod(parseFreeze({ start: props.start, end: props.end, ...(props.reason !== undefined && { reason: props.reason }) }));
  }

  /**
   * The period normalised to ISO-8601 instants.
   * @internal
   */
  readonly _spec: FreezeSpec;

  private constructor(spec: FreezeSpec) {
    this._spec = spec;
  }
}

/** The calendar embedded in the target configuration, or undefined when the construct sets none. */
export function deploymentCalendar(windows: readonly DeploymentWindow[] = [], freezes: readonly FreezePeriod[] = []): DeploymentCalendar | undefined {
  if (windows.length === 0 && freezes.length === 0) return undefined;
  return { windows: windows.map((w) => w.text), freezes: freezes.map((f) => f._spec) };
}

/**
 * A gate before step `stepPath` (or, without one, before the promotion): a `.waitForTaskToken`
 * invoke of the await-window handler, which answers at once when a window is open and otherwise
 * when the next one opens. An alarm fails its token like a bake's. The state machine's timeout is
 * its last guard: a wait may last as long as the calendar says.
 */
export function windowGate(scope: Construct, id: string, fn: lambda.IFunction, stepPath: string | undefined, retry: (task: sfn.TaskStateBase) => void): tasks.LambdaInvoke {
  const task = new tasks.LambdaInvoke(scope, id, {
    lambdaFunction: fn,
    integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
    payload: sfn.TaskInput.fromObject({
      'rollout.$': '$.rollout',
      ...(stepPath !== undefined && { 'step.$': stepPath }),
      taskToken: sfn.JsonPath.taskToken,
    }),
    resultPath: '$.window',
  });
  retry(task);
  return task;
}

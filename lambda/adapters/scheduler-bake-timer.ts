import { CreateScheduleCommand, DeleteScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { ValidationFailedError } from '../errors';
import type { BakeTimer } from '../ports';
import { clientConfig } from './client-config';

export interface SchedulerBakeTimerSettings {
  /** The schedule group that holds serinus's bake schedules. */
  readonly groupName: string;
  /** The role EventBridge Scheduler assumes; it may call `states:SendTaskSuccess`. */
  readonly roleArn: string;
}

/** Scheduler's universal target: the schedule itself calls Step Functions, no Lambda in between. */
export const SEND_TASK_SUCCESS_TARGET_ARN = 'arn:aws:scheduler:::aws-sdk:sfn:sendTaskSuccess';

/**
 * A lost success leaves the bake to its task timeout, which rolls back a healthy canary, so
 * Scheduler retries as often as it allows (185 is its maximum) for up to an hour. Past that the
 * bake task has timed out anyway.
 */
export const BAKE_TARGET_RETRY_POLICY = { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 3600 } as const;

const SCHEDULE_NAME = /^[0-9a-zA-Z\-_.]{1,64}$/;

/** Ends bakes with one-time EventBridge Scheduler schedules that delete themselves after firing. */
export class SchedulerBakeTimer implements BakeTimer {
  constructor(
    private readonly settings: SchedulerBakeTimerSettings,
    private readonly client = new SchedulerClient({ ...clientConfig }),
  ) {}

  async schedule(name: string, at: Date, taskToken: string, output: Record<string, unknown>): Promise<void> {
    assertScheduleName(name);
    if (Number.isNaN(at.getTime())) throw new ValidationFailedError(`The bake of schedule ${name} has no valid end time.`);
    try {
      await this.client.send(
        new CreateScheduleCommand({
          Name: name,
          GroupName: this.settings.groupName,
          ScheduleExpression: `at(${atExpressionTime(at)})`,
          ScheduleExpressionTimezone: 'UTC',
          FlexibleTimeWindow: { Mode: 'OFF' },
          ActionAfterCompletion: 'DELETE',
          State: 'ENABLED',
          Description: 'serinus: ends a canary bake by sending Step Functions task success',
          Target: {
            Arn: SEND_TASK_SUCCESS_TARGET_ARN,
            RoleArn: this.settings.roleArn,
            // The target's Input is the SendTaskSuccess request; its `Output` is itself a JSON string.
            Input: JSON.stringify({ TaskToken: taskToken, Output: JSON.stringify(output) }),
            RetryPolicy: { ...BAKE_TARGET_RETRY_POLICY },
          },
        }),
      );
    } catch (error) {
      // A retried Lambda finds the schedule its first attempt created: that one is kept.
      if (hasName(error, 'ConflictException')) return;
      throw error;
    }
  }

  async cancel(name: string): Promise<void> {
    assertScheduleName(name);
    try {
      await this.client.send(new DeleteScheduleCommand({ Name: name, GroupName: this.settings.groupName }));
    } catch (error) {
      // Already fired (ActionAfterCompletion DELETE), already cancelled, or never created.
      if (hasName(error, 'ResourceNotFoundException')) return;
      throw error;
    }
  }
}

/**
 * `yyyy-mm-ddThh:mm:ss` in UTC. `at()` has no fraction of a second, so the time is rounded up:
 * a bake may end late by under a second, never early.
 */
export function atExpressionTime(at: Date): string {
  const wholeSeconds = Math.ceil(at.getTime() / 1000);
  return new Date(wholeSeconds * 1000).toISOString().slice(0, 19);
}

function assertScheduleName(name: string): void {
  if (!SCHEDULE_NAME.test(name)) {
    throw new ValidationFailedError(
      `Schedule name ${JSON.stringify(name)} is not 1-64 characters of letters, digits, '-', '_' or '.'.`,
    );
  }
}

/** By name rather than `instanceof`, so an error from another SDK copy or a fake still counts. */
function hasName(error: unknown, name: string): boolean {
  return error instanceof Error && error.name === name;
}

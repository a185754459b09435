import {
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  DeleteScheduleCommand,
  GetScheduleCommand,
  SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import type { SweepRequest } from '../domain/types';
import { ValidationFailedError } from '../errors';
import type { BakeTimer } from '../ports';
import { logger } from '../shared/observability';
import { clientConfig, withoutSdkLogging } from './client-config';

export interface SchedulerBakeTimerSettings {
  /** The schedule group that holds serinus's bake schedules. */
  readonly groupName: string;
  /** The role EventBridge Scheduler assumes; it may call `states:SendTaskSuccess` and invoke the sweeper. */
  readonly roleArn: string;
  /** The sweeper function, target of the safety and reassert schedules. Required by `scheduleSweep` only. */
  readonly sweeperFunctionArn?: string;
}

/** How often the safety schedule sweeps a held target. */
export const SAFETY_SWEEP_EXPRESSION = 'rate(5 minutes)';

/** A sweep that fails is retried a few times; the safety schedule comes back every 5 minutes anyway. */
export const SWEEP_TARGET_RETRY_POLICY = { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 3600 } as const;

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
    private readonly client = withoutSdkLogging(new SchedulerClient({ ...clientConfig })),
  ) {}

  async schedule(name: string, at: Date, taskToken: string, output: Record<string, unknown>): Promise<void> {
    assertScheduleName(name);
    if (Number.isNaN(at.getTime())) throw new ValidationFailedError(`The bake of schedule ${name} has no valid end time.`);
    const definition: CreateScheduleCommandInput = {
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
    };
    try {
      await this.client.send(new CreateScheduleCommand(definition));
    } catch (error) {
      if (!hasName(error, 'ConflictException')) throw error;
      // A retried Bake task finds the schedule an earlier attempt created (its reply may have been
      // lost). The retry runs under a new task token; a schedule that sends the old one would leave
      // the bake waiting for its timeout, so it is brought up to this attempt's token.
      const existing = await this.client.send(new GetScheduleCommand({ Name: name, GroupName: this.settings.groupName }));
      if (tokenOf(existing.Target?.Input) === taskToken) return;
      logger.info('bake schedule carried an earlier task token; updating it', { schedule: name });
      await this.client.send(new UpdateScheduleCommand(definition));
    }
  }

  async scheduleSweep(name: string, request: SweepRequest, at?: Date): Promise<void> {
    assertScheduleName(name);
    const functionArn = this.settings.sweeperFunctionArn;
    if (!functionArn) throw new Error('the sweeper function ARN is not configured; the serinus engine sets it on deploy');
    if (at && Number.isNaN(at.getTime())) throw new ValidationFailedError(`The sweep of schedule ${name} has no valid time.`);
    const once = request.kind === 'reassert';
    if (once && !at) throw new ValidationFailedError(`The reassert schedule ${name} needs a time.`);
    try {
      await this.client.send(
        new CreateScheduleCommand({
          Name: name,
          GroupName: this.settings.groupName,
          ScheduleExpression: once ? `at(${atExpressionTime(at!)})` : SAFETY_SWEEP_EXPRESSION,
          ScheduleExpressionTimezone: 'UTC',
          FlexibleTimeWindow: { Mode: 'OFF' },
          ...(once ? { ActionAfterCompletion: 'DELETE' as const } : {}),
          State: 'ENABLED',
          Description: once
            ? 'serinus: reverts an ended rollout again once none of its handlers can still be running, then releases it'
            : 'serinus: sweeps a rollout while it holds its traffic target, in case its status event is lost',
          Target: {
            Arn: functionArn,
            RoleArn: this.settings.roleArn,
            Input: JSON.stringify({
              kind: request.kind,
              executionArn: request.executionArn,
              targetKey: request.targetKey,
              traffic: request.traffic,
            }),
            RetryPolicy: { ...SWEEP_TARGET_RETRY_POLICY },
          },
        }),
      );
    } catch (error) {
      // The schedule of this rollout already exists (a retried call): it sweeps the same thing.
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

/** The TaskToken a bake schedule's SendTaskSuccess input carries; undefined when unreadable. */
function tokenOf(input: string | undefined): string | undefined {
  if (!input) return undefined;
  try {
    const parsed = JSON.parse(input) as { TaskToken?: unknown };
    return typeof parsed.TaskToken === 'string' ? parsed.TaskToken : undefined;
  } catch {
    return undefined;
  }
}

/** By name rather than `instanceof`, so an error from another SDK copy or a fake still counts. */
function hasName(error: unknown, name: string): boolean {
  return error instanceof Error && error.name === name;
}

import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  ResourceNotFoundException,
  SchedulerClient,
  UpdateScheduleCommand,
  ValidationException,
} from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { atExpressionTime, SchedulerBakeTimer } from '../../lambda/adapters/scheduler-bake-timer';
import { ValidationFailedError } from '../../lambda/errors';
import type { SweepRequest } from '../../lambda/domain/types';

const SETTINGS = {
  groupName: 'serinus-bakes',
  roleArn: 'arn:aws:iam::123456789012:role/serinus-scheduler',
};
const NAME = 'checkout-release-1-4-2-step-0';
const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAd1NTY2Vb3Z5ZXhhbXBsZXRva2Vu';
const OUTPUT = { stepIndex: 0, bakeEnded: true };

/** Scheduler's exceptions carry the text in `Message` as well as in `message`. */
function serviceError<T>(Exception: new (options: { message: string; Message: string; $metadata: object }) => T, text: string): T {
  return new Exception({ message: text, Message: text, $metadata: {} });
}

const scheduler = mockClient(SchedulerClient);

beforeEach(() => {
  scheduler.reset();
});

describe('schedule', () => {
  it('creates a one-time UTC schedule that sends task success and deletes itself', async () => {
    // Prepare
    scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: `arn:aws:scheduler:eu-west-1:123456789012:schedule/serinus-bakes/${NAME}` });

    // Act
    await new SchedulerBakeTimer(SETTINGS).schedule(NAME, new Date('2025-03-01T12:05:00.000Z'), TOKEN, OUTPUT);

    // Assess
    expect(scheduler).toHaveReceivedCommandTimes(CreateScheduleCommand, 1);
    expect(scheduler.commandCalls(CreateScheduleCommand)[0].args[0].input).toEqual({
      Name: NAME,
      GroupName: 'serinus-bakes',
      ScheduleExpression: 'at(2025-03-01T12:05:00)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      State: 'ENABLED',
      Description: 'serinus: ends a canary bake by sending Step Functions task success',
      Target: {
        Arn: 'arn:aws:scheduler:::aws-sdk:sfn:sendTaskSuccess',
        RoleArn: 'arn:aws:iam::123456789012:role/serinus-scheduler',
        Input: `{"TaskToken":"${TOKEN}","Output":"{\\"stepIndex\\":0,\\"bakeEnded\\":true}"}`,
        RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 3600 },
      },
    });
  });

  it('puts the task output into Input as a JSON string, the shape SendTaskSuccess takes', async () => {
    // Prepare
    scheduler.on(CreateScheduleCommand).resolves({});

    // Act
    await new SchedulerBakeTimer(SETTINGS).schedule(NAME, new Date('2025-03-01T12:05:00.000Z'), TOKEN, OUTPUT);

    // Assess
    const input = JSON.parse(scheduler.commandCalls(CreateScheduleCommand)[0].args[0].input.Target?.Input ?? '') as {
      TaskToken: string;
      Output: string;
    };
    expect(input.TaskToken).toBe(TOKEN);
    expect(JSON.parse(input.Output)).toEqual(OUTPUT);
  });

  it('rounds a fractional second up, so the bake never ends early', async () => {
    // Prepare
    scheduler.on(CreateScheduleCommand).resolves({});

    // Act
    await new SchedulerBakeTimer(SETTINGS).schedule(NAME, new Date('2025-12-31T23:59:59.001Z'), TOKEN, OUTPUT);

    // Assess
    expect(scheduler).toHaveReceivedCommandWith(CreateScheduleCommand, { ScheduleExpression: 'at(2026-01-01T00:00:00)' });
  });

  it('uses UTC whatever the local time zone of the date', async () => {
    // Prepare
    scheduler.on(CreateScheduleCommand).resolves({});

    // Act
    await new SchedulerBakeTimer(SETTINGS).schedule(NAME, new Date('2025-06-01T14:30:15+02:00'), TOKEN, OUTPUT);

    // Assess
    expect(scheduler).toHaveReceivedCommandWith(CreateScheduleCommand, {
      ScheduleExpression: 'at(2025-06-01T12:30:15)',
      ScheduleExpressionTimezone: 'UTC',
    });
  });

  it('keeps the existing schedule when a retried Lambda creates it again with the same token', async () => {
    // Prepare
    scheduler
      .on(CreateScheduleCommand)
      .rejects(serviceError(ConflictException, `Schedule ${NAME} already exists.`));
    scheduler.on(GetScheduleCommand).resolves({ Name: NAME, Target: { Arn: 'x', RoleArn: 'y', Input: JSON.stringify({ TaskToken: TOKEN, Output: '{}' }) } });

    // Act
    await new SchedulerBakeTimer(SETTINGS).schedule(NAME, new Date('2025-03-01T12:05:00Z'), TOKEN, OUTPUT);

    // Assess
    expect(scheduler).toHaveReceivedCommandTimes(CreateScheduleCommand, 1);
    expect(scheduler.commandCalls(GetScheduleCommand)[0].args[0].input).toEqual({ Name: NAME, GroupName: 'serinus-bakes' });
    expect(scheduler).toHaveReceivedCommandTimes(UpdateScheduleCommand, 0);
    expect(scheduler).toHaveReceivedCommandTimes(DeleteScheduleCommand, 0);
  });

  it.each([
    ['an earlier token', JSON.stringify({ TaskToken: 'token-of-the-first-attempt', Output: '{}' })],
    ['an unreadable input', 'not json'],
    ['no input', undefined],
  ])('updates the schedule to the current token when the existing one carries %s (a reply lost, the task retried)', async (_label, input) => {
    // Prepare
    scheduler.on(CreateScheduleCommand).rejects(serviceError(ConflictException, `Schedule ${NAME} already exists.`));
    scheduler.on(GetScheduleCommand).resolves({ Name: NAME, Target: { Arn: 'x', RoleArn: 'y', Input: input } });
    scheduler.on(UpdateScheduleCommand).resolves({});

    // Act
    await new SchedulerBakeTimer(SETTINGS).schedule(NAME, new Date('2025-03-01T12:05:00.000Z'), TOKEN, OUTPUT);

    // Assess
    expect(scheduler.commandCalls(UpdateScheduleCommand).map((c) => c.args[0].input)).toEqual([
      {
        Name: NAME,
        GroupName: 'serinus-bakes',
        ScheduleExpression: 'at(2025-03-01T12:05:00)',
        ScheduleExpressionTimezone: 'UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        ActionAfterCompletion: 'DELETE',
        State: 'ENABLED',
        Description: 'serinus: ends a canary bake by sending Step Functions task success',
        Target: {
          Arn: 'arn:aws:scheduler:::aws-sdk:sfn:sendTaskSuccess',
          RoleArn: 'arn:aws:iam::123456789012:role/serinus-scheduler',
          Input: `{"TaskToken":"${TOKEN}","Output":"{\\"stepIndex\\":0,\\"bakeEnded\\":true}"}`,
          RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 3600 },
        },
      },
    ]);
  });

  it('lets other errors through', async () => {
    // Prepare
    scheduler
      .on(CreateScheduleCommand)
      .rejects(serviceError(ValidationException, 'The role cannot be assumed.'));

    // Act
    const scheduling = new SchedulerBakeTimer(SETTINGS).schedule(NAME, new Date('2025-03-01T12:05:00Z'), TOKEN, OUTPUT);

    // Assess
    await expect(scheduling).rejects.toThrow(ValidationException);
  });

  it.each([
    ['empty', ''],
    ['too long', 'a'.repeat(65)],
    ['with a colon', 'checkout:release'],
    ['with a slash', 'checkout/release'],
    ['with a space', 'checkout release'],
  ])('refuses a name that is %s before calling Scheduler', async (_case, name) => {
    // Act
    const scheduling = new SchedulerBakeTimer(SETTINGS).schedule(name, new Date('2025-03-01T12:05:00Z'), TOKEN, OUTPUT);

    // Assess
    await expect(scheduling).rejects.toThrow(ValidationFailedError);
    expect(scheduler.calls()).toHaveLength(0);
  });

  it('accepts a 64-character name of every allowed character class', async () => {
    // Prepare
    scheduler.on(CreateScheduleCommand).resolves({});
    const name = `Az09-_.${'x'.repeat(57)}`;

    // Act
    await new SchedulerBakeTimer(SETTINGS).schedule(name, new Date('2025-03-01T12:05:00Z'), TOKEN, OUTPUT);

    // Assess
    expect(scheduler).toHaveReceivedCommandWith(CreateScheduleCommand, { Name: name });
  });

  it('refuses an invalid date before calling Scheduler', async () => {
    // Act
    const scheduling = new SchedulerBakeTimer(SETTINGS).schedule(NAME, new Date('not a date'), TOKEN, OUTPUT);

    // Assess
    await expect(scheduling).rejects.toThrow(ValidationFailedError);
    expect(scheduler.calls()).toHaveLength(0);
  });
});

describe('cancel', () => {
  it('deletes the schedule from the group', async () => {
    // Prepare
    scheduler.on(DeleteScheduleCommand).resolves({});

    // Act
    await new SchedulerBakeTimer(SETTINGS).cancel(NAME);

    // Assess
    expect(scheduler.commandCalls(DeleteScheduleCommand)[0].args[0].input).toEqual({ Name: NAME, GroupName: 'serinus-bakes' });
  });

  it('treats a schedule that is already gone as cancelled', async () => {
    // Prepare
    scheduler
      .on(DeleteScheduleCommand)
      .rejects(serviceError(ResourceNotFoundException, `Schedule ${NAME} does not exist.`));

    // Act
    const cancelling = new SchedulerBakeTimer(SETTINGS).cancel(NAME);

    // Assess
    await expect(cancelling).resolves.toBeUndefined();
    expect(scheduler).toHaveReceivedCommandWith(DeleteScheduleCommand, { Name: NAME, GroupName: 'serinus-bakes' });
  });

  it('lets other errors through', async () => {
    // Prepare
    scheduler.on(DeleteScheduleCommand).rejects(serviceError(ConflictException, 'Concurrent modification.'));

    // Act
    const cancelling = new SchedulerBakeTimer(SETTINGS).cancel(NAME);

    // Assess
    await expect(cancelling).rejects.toThrow(ConflictException);
  });

  it('refuses an invalid name before calling Scheduler', async () => {
    // Act
    const cancelling = new SchedulerBakeTimer(SETTINGS).cancel('checkout:release');

    // Assess
    await expect(cancelling).rejects.toThrow(ValidationFailedError);
    expect(scheduler.calls()).toHaveLength(0);
  });
});

describe('atExpressionTime', () => {
  it.each([
    ['2025-03-01T12:05:00.000Z', '2025-03-01T12:05:00'],
    ['2025-03-01T12:05:00.001Z', '2025-03-01T12:05:01'],
    ['2025-03-01T12:05:00.999Z', '2025-03-01T12:05:01'],
    ['2024-02-28T23:59:59.500Z', '2024-02-29T00:00:00'],
  ])('writes %s as %s', (iso, expected) => {
    // Act
    const written = atExpressionTime(new Date(iso));

    // Assess
    expect(written).toBe(expected);
  });
});

describe('scheduleSweep', () => {
  const SWEEPER = 'arn:aws:lambda:eu-west-1:123456789012:function:serinus-sweeper';
  const TRAFFIC = {
    kind: 'alb',
    key: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/web/1/2',
    listenerArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/web/1/2',
    stableTargetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/checkout/1',
    canaryTargetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/checkout-canary/2',
  };
  const request = (kind: SweepRequest['kind']): SweepRequest => ({
    kind,
    executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:checkout:release-2',
    targetKey: TRAFFIC.listenerArn,
    traffic: TRAFFIC,
  });

  it('creates the safety schedule: every 5 minutes, the sweeper as target, the rollout as input', async () => {
    // Prepare
    scheduler.on(CreateScheduleCommand).resolves({});

    // Act
    await new SchedulerBakeTimer({ ...SETTINGS, sweeperFunctionArn: SWEEPER }).scheduleSweep('serinus-safety-abc', request('safety'));

    // Assess
    expect(scheduler.commandCalls(CreateScheduleCommand).map((c) => c.args[0].input)).toEqual([
      {
        Name: 'serinus-safety-abc',
        GroupName: 'serinus-bakes',
        ScheduleExpression: 'rate(5 minutes)',
        ScheduleExpressionTimezone: 'UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        State: 'ENABLED',
        Description: 'serinus: sweeps a rollout while it holds its traffic target, in case its status event is lost',
        Target: {
          Arn: SWEEPER,
          RoleArn: 'arn:aws:iam::123456789012:role/serinus-scheduler',
          Input: JSON.stringify(request('safety')),
          RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 3600 },
        },
      },
    ]);
  });

  it('creates the reassert schedule once, at the end of the fence, deleting itself after it fires', async () => {
    // Prepare
    scheduler.on(CreateScheduleCommand).resolves({});

    // Act
    await new SchedulerBakeTimer({ ...SETTINGS, sweeperFunctionArn: SWEEPER }).scheduleSweep(
      'serinus-reassert-abc',
      request('reassert'),
      new Date('2025-03-01T12:06:00.500Z'),
    );

    // Assess
    expect(scheduler.commandCalls(CreateScheduleCommand).map((c) => c.args[0].input)).toEqual([
      {
        Name: 'serinus-reassert-abc',
        GroupName: 'serinus-bakes',
        ScheduleExpression: 'at(2025-03-01T12:06:01)',
        ScheduleExpressionTimezone: 'UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        ActionAfterCompletion: 'DELETE',
        State: 'ENABLED',
        Description: 'serinus: reverts an ended rollout again once none of its handlers can still be running, then releases it',
        Target: {
          Arn: SWEEPER,
          RoleArn: 'arn:aws:iam::123456789012:role/serinus-scheduler',
          Input: JSON.stringify(request('reassert')),
          RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 3600 },
        },
      },
    ]);
  });

  it('keeps an existing schedule of the same name (a retried Lock)', async () => {
    // Prepare
    scheduler.on(CreateScheduleCommand).rejects(serviceError(ConflictException, 'exists'));

    // Act
    const scheduling = new SchedulerBakeTimer({ ...SETTINGS, sweeperFunctionArn: SWEEPER }).scheduleSweep('serinus-safety-abc', request('safety'));

    // Assess
    await expect(scheduling).resolves.toBeUndefined();
  });

  it('refuses without a sweeper function ARN, before any call', async () => {
    // Act
    const scheduling = new SchedulerBakeTimer(SETTINGS).scheduleSweep('serinus-safety-abc', request('safety'));

    // Assess
    await expect(scheduling).rejects.toThrow(/sweeper function ARN is not configured/);
    expect(scheduler).toHaveReceivedCommandTimes(CreateScheduleCommand, 0);
  });
});

import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  ResourceNotFoundException,
  SchedulerClient,
  UpdateScheduleCommand,
  ValidationException,
  type CreateScheduleCommandInput,
} from '@aws-sdk/client-scheduler';
import type { Interception } from '../../local/fakes/sdk-intercept';
import { FakeScheduler } from '../../local/fakes/scheduler';
import { FakeStepFunctions } from '../../local/fakes/sfn';

const client = new SchedulerClient({ region: 'eu-west-1' });
const NOW = new Date('2025-03-01T10:00:00.000Z');

/** `at(...)` wants whole seconds in UTC without a zone suffix. */
function at(date: Date): string {
  return `at(${date.toISOString().slice(0, 19)})`;
}

function bakeEnd(name: string, when: Date, taskToken: string, overrides: Partial<CreateScheduleCommandInput> = {}): CreateScheduleCommandInput {
  return {
    Name: name,
    ScheduleExpression: at(when),
    FlexibleTimeWindow: { Mode: 'OFF' },
    ActionAfterCompletion: 'DELETE',
    Target: {
      Arn: 'arn:aws:scheduler:::aws-sdk:sfn:sendTaskSuccess',
      RoleArn: 'arn:aws:iam::123456789012:role/serinus-scheduler',
      Input: JSON.stringify({ TaskToken: taskToken, Output: JSON.stringify({ baked: true, stepIndex: 0 }) }),
    },
    ...overrides,
  };
}

describe('FakeScheduler', () => {
  let sfn: FakeStepFunctions;
  let scheduler: FakeScheduler;
  let stub: Interception;

  beforeEach(() => {
    sfn = new FakeStepFunctions();
    scheduler = new FakeScheduler({ sfn, now: () => NOW });
    stub = scheduler.install();
  });

  afterEach(() => {
    scheduler.close();
    stub.restore();
  });

  it('fires a bake-end schedule on fireNow: the task succeeds with the output and the schedule deletes itself', async () => {
    // Prepare
    const task = sfn.register('token-1');
    await client.send(new CreateScheduleCommand(bakeEnd('bake-step-0', new Date(NOW.getTime() + 3_600_000), 'token-1')));

    // Act
    await scheduler.fireNow('bake-step-0');

    // Assess
    await expect(task).resolves.toEqual({ baked: true, stepIndex: 0 });
    expect(scheduler.pending()).toEqual([]);
    await expect(client.send(new GetScheduleCommand({ Name: 'bake-step-0' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    expect(scheduler.deliveries).toEqual([
      { name: 'bake-step-0', groupName: 'default', targetArn: 'arn:aws:scheduler:::aws-sdk:sfn:sendTaskSuccess', firedAt: NOW, ok: true },
    ]);
  });

  it('fires on a real timer compressed by speed', async () => {
    // Prepare: a 60 s bake at speed 1000 fires after about 60 ms
    scheduler.close();
    stub.restore();
    scheduler = new FakeScheduler({ sfn, speed: 1000 });
    stub = scheduler.install();
    const task = sfn.register('token-2');

    // Act
    await client.send(new CreateScheduleCommand(bakeEnd('bake-step-1', new Date(Date.now() + 60_000), 'token-2')));

    // Assess
    await expect(task).resolves.toEqual({ baked: true, stepIndex: 0 });
    expect(sfn.tokenState('token-2')).toBe('succeeded');
  });

  it('keeps a fired schedule with ActionAfterCompletion NONE, but no longer lists it as pending', async () => {
    // Prepare
    sfn.register('token-3').catch(() => undefined);
    await client.send(new CreateScheduleCommand(bakeEnd('keep-me', new Date(NOW.getTime() + 60_000), 'token-3', { ActionAfterCompletion: 'NONE' })));
    const pendingBefore = scheduler.pending().map((schedule) => [schedule.name, schedule.at]);

    // Act
    await scheduler.fireNow('keep-me');

    // Assess
    expect(pendingBefore).toEqual([['keep-me', new Date('2025-03-01T10:01:00.000Z')]]);
    expect(scheduler.pending()).toEqual([]);
    const schedule = await client.send(new GetScheduleCommand({ Name: 'keep-me' }));
    expect(schedule).toMatchObject({
      Name: 'keep-me',
      GroupName: 'default',
      Arn: 'arn:aws:scheduler:eu-west-1:123456789012:schedule/default/keep-me',
      ScheduleExpression: 'at(2025-03-01T10:01:00)',
      ActionAfterCompletion: 'NONE',
      State: 'ENABLED',
    });
  });

  it('records a failed delivery when the task already ended, and fireNow rejects with the cause', async () => {
    // Prepare
    sfn.register('token-4').catch(() => undefined);
    sfn.expire('token-4');
    await client.send(new CreateScheduleCommand(bakeEnd('late', new Date(NOW.getTime() + 60_000), 'token-4')));

    // Act
    const firing = scheduler.fireNow('late');

    // Assess
    await expect(firing).rejects.toMatchObject({ name: 'TaskTimedOut' });
    expect(scheduler.deliveries.map((delivery) => [delivery.ok, delivery.error?.name])).toEqual([[false, 'TaskTimedOut']]);
    expect(scheduler.pending()).toEqual([]);
  });

  it('rejects a duplicate name, a missing schedule, a past time and an unknown group like the real API', async () => {
    // Prepare
    const future = new Date(NOW.getTime() + 60_000);
    await client.send(new CreateScheduleCommand(bakeEnd('bake', future, 't')));

    // Act & Assess
    await expect(client.send(new CreateScheduleCommand(bakeEnd('bake', future, 't')))).rejects.toBeInstanceOf(ConflictException);
    await expect(client.send(new DeleteScheduleCommand({ Name: 'missing' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(client.send(new CreateScheduleCommand(bakeEnd('past', new Date(NOW.getTime() - 60_000), 't')))).rejects.toBeInstanceOf(
      ValidationException,
    );
    await expect(client.send(new CreateScheduleCommand(bakeEnd('grouped', future, 't', { GroupName: 'serinus' })))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    await expect(
      client.send(new CreateScheduleCommand(bakeEnd('bad', future, 't', { ScheduleExpression: 'at(2025-03-01 10:01:00)' }))),
    ).rejects.toThrow(/Invalid Schedule Expression/);
  });

  it('deletes a pending schedule so it never fires', async () => {
    // Prepare
    sfn.register('token-5').catch(() => undefined);
    await client.send(new CreateScheduleCommand(bakeEnd('cancelled', new Date(NOW.getTime() + 60_000), 'token-5')));

    // Act
    await client.send(new DeleteScheduleCommand({ Name: 'cancelled' }));

    // Assess
    expect(scheduler.pending()).toEqual([]);
    await expect(scheduler.fireNow('cancelled')).rejects.toThrow(/No schedule default\/cancelled/);
    expect(sfn.tokenState('token-5')).toBe('waiting');
  });

  describe('Lambda targets and recurring schedules', () => {
    const SWEEPER = 'arn:aws:lambda:eu-west-1:123456789012:function:serinus-sweeper';
    const safety = (overrides: Partial<CreateScheduleCommandInput> = {}): CreateScheduleCommandInput => ({
      Name: 'serinus-safety-1',
      ScheduleExpression: 'rate(5 minutes)',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: { Arn: SWEEPER, RoleArn: 'arn:aws:iam::123456789012:role/serinus-scheduler', Input: '{"kind":"safety","targetKey":"k"}' },
      ...overrides,
    });

    it('delivers a Lambda target to the hook; a rate() schedule never fires by itself and stays after firing', async () => {
      // Prepare
      const delivered: Array<[string, unknown]> = [];
      scheduler.onLambdaTarget(async (arn, input) => {
        delivered.push([arn, input]);
      });
      await client.send(new CreateScheduleCommand(safety()));

      // Act
      const pendingBefore = scheduler.pending().map((schedule) => [schedule.name, schedule.recurring]);
      await scheduler.fireNow('serinus-safety-1');
      await scheduler.fireNow('serinus-safety-1');

      // Assess
      expect(pendingBefore).toEqual([['serinus-safety-1', true]]);
      expect(delivered).toEqual([
        [SWEEPER, { kind: 'safety', targetKey: 'k' }],
        [SWEEPER, { kind: 'safety', targetKey: 'k' }],
      ]);
      expect(scheduler.pending().map((schedule) => schedule.name)).toEqual(['serinus-safety-1']);
    });

    it('UpdateSchedule replaces the whole definition, and fails like the API for a missing schedule or a bad expression', async () => {
      // Prepare: https://docs.aws.amazon.com/scheduler/latest/APIReference/API_UpdateSchedule.html — "uses all values,
      // including empty values, specified in the request and overrides the existing schedule"; errors
      // ResourceNotFoundException and ValidationException.
      const task = sfn.register('token-new');
      await client.send(new CreateScheduleCommand(bakeEnd('bake', new Date(NOW.getTime() + 60_000), 'token-old', { Description: 'first' })));

      // Act
      await client.send(new UpdateScheduleCommand(bakeEnd('bake', new Date(NOW.getTime() + 120_000), 'token-new')));
      const updated = await client.send(new GetScheduleCommand({ Name: 'bake' }));
      await scheduler.fireNow('bake');

      // Assess
      expect(updated).toMatchObject({ ScheduleExpression: 'at(2025-03-01T10:02:00)', ActionAfterCompletion: 'DELETE' });
      expect(updated.Description).toBeUndefined();
      expect(JSON.parse(updated.Target!.Input!)).toMatchObject({ TaskToken: 'token-new' });
      await expect(task).resolves.toEqual({ baked: true, stepIndex: 0 });
      await expect(client.send(new UpdateScheduleCommand(bakeEnd('missing', new Date(NOW.getTime() + 60_000), 't')))).rejects.toBeInstanceOf(
        ResourceNotFoundException,
      );
      await client.send(new CreateScheduleCommand(bakeEnd('again', new Date(NOW.getTime() + 60_000), 't')));
      await expect(
        client.send(new UpdateScheduleCommand(bakeEnd('again', new Date(NOW.getTime() + 60_000), 't', { ScheduleExpression: 'rate(5 seconds)' }))),
      ).rejects.toBeInstanceOf(ValidationException);
    });

    it('GetSchedule validates the name and answers ResourceNotFoundException for a missing one', async () => {
      // Prepare: https://docs.aws.amazon.com/scheduler/latest/APIReference/API_GetSchedule.html (Name: [0-9a-zA-Z-_.]+, 1–64)

      // Act & Assess
      await expect(client.send(new GetScheduleCommand({ Name: 'bad name!' }))).rejects.toBeInstanceOf(ValidationException);
      await expect(client.send(new GetScheduleCommand({ Name: 'nope' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    });
  });

  describe('firing modes', () => {
    it('immediate: an at() schedule fires as soon as it is created; a held one waits for release', async () => {
      // Prepare
      scheduler.close();
      stub.restore();
      scheduler = new FakeScheduler({ sfn, firing: 'immediate' });
      stub = scheduler.install();
      const first = sfn.register('token-a');
      const second = sfn.register('token-b');
      const hold = scheduler.hold((schedule) => schedule.name === 'held');

      // Act
      await client.send(new CreateScheduleCommand(bakeEnd('at-once', new Date(Date.now() + 86_400_000), 'token-a')));
      await client.send(new CreateScheduleCommand(bakeEnd('held', new Date(Date.now() + 60_000), 'token-b')));
      await expect(first).resolves.toEqual({ baked: true, stepIndex: 0 });
      const heldSchedule = await hold.reached;
      const stateWhileHeld = sfn.tokenState('token-b');
      hold.release();

      // Assess
      expect(heldSchedule.name).toBe('held');
      expect(stateWhileHeld).toBe('waiting');
      await expect(second).resolves.toEqual({ baked: true, stepIndex: 0 });
    });
  });
});

import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { EventBridgeRolloutEvents } from '../../lambda/adapters/eventbridge-rollout-events';
import { SnsNotifier } from '../../lambda/adapters/sns-notifier';
import type { RolloutEvent } from '../../lambda/domain/rollout-events';

const EXECUTION = 'arn:aws:states:eu-west-1:123456789012:execution:serinus-checkout:release-1-4-2';
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:serinus-approvals';

const eventbridge = mockClient(EventBridgeClient);
const sns = mockClient(SNSClient);

beforeEach(() => {
  eventbridge.reset();
  sns.reset();
});

const EVENT: RolloutEvent = {
  detailType: 'Rollout Step Reached',
  detail: {
    service: 'checkout',
    executionArn: EXECUTION,
    step: 2,
    weights: { stable: 50, canary: 50 },
    images: { candidate: 'registry.local/checkout:1.4.2' },
    summary: 'serinus checkout: step 2 reached',
  },
};

describe('EventBridgeRolloutEvents.publish', () => {
  it('puts one custom event with source serinus on the default bus', async () => {
    // Prepare
    eventbridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });

    // Act
    await new EventBridgeRolloutEvents().publish(EVENT);

    // Assess
    expect(eventbridge).toHaveReceivedCommandTimes(PutEventsCommand, 1);
    expect(eventbridge).toHaveReceivedCommandWith(PutEventsCommand, {
      Entries: [
        {
          Source: 'serinus',
          DetailType: 'Rollout Step Reached',
          Detail: JSON.stringify(EVENT.detail),
          EventBusName: 'default',
          Resources: [EXECUTION],
        },
      ],
    });
  });

  it('puts the event on the bus the event names', async () => {
    // Prepare
    eventbridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });

    // Act
    await new EventBridgeRolloutEvents({ client: new EventBridgeClient({}) }).publish({ ...EVENT, eventBusName: 'platform' });

    // Assess
    expect(eventbridge.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]!.EventBusName).toBe('platform');
  });

  it('throws when EventBridge refuses the entry (a 200 with FailedEntryCount)', async () => {
    // Prepare
    eventbridge.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }] });

    // Act
    const publish = new EventBridgeRolloutEvents().publish(EVENT);

    // Assess
    await expect(publish).rejects.toThrow('EventBridge refused the "Rollout Step Reached" event: InternalFailure try again');
  });
});

describe('SnsNotifier.notify', () => {
  it('publishes the subject and message to the topic', async () => {
    // Prepare
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });

    // Act
    await new SnsNotifier().notify(TOPIC, 'serinus checkout: approve promotion?', 'Approve: serinus approve checkout');

    // Assess
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(sns).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: TOPIC,
      Subject: 'serinus checkout: approve promotion?',
      Message: 'Approve: serinus approve checkout',
    });
  });

  it('cuts the subject to the 100 characters SNS allows', async () => {
    // Prepare
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });

    // Act
    await new SnsNotifier().notify(TOPIC, 'x'.repeat(150), 'text');

    // Assess
    expect(sns.commandCalls(PublishCommand)[0]!.args[0].input.Subject).toHaveLength(100);
  });
});

/**
 * Fakes of where serinus tells people and systems what a rollout did: EventBridge PutEvents and
 * SNS Publish. Both record what they accepted; PutEvents answers per entry as the service does.
 */
import type { PutEventsCommandInput, PutEventsCommandOutput } from '@aws-sdk/client-eventbridge';
import type { PublishCommandInput, PublishCommandOutput } from '@aws-sdk/client-sns';
import { randomUUID } from 'node:crypto';
import { routeTable, type FakeRoute } from './sdk-intercept';

export interface PutEvent {
  readonly source: string;
  readonly detailType: string;
  readonly detail: unknown;
  readonly eventBusName: string;
  readonly resources: string[];
}

export class FakeEventBridge {
  /** Every entry accepted, oldest first. */
  readonly events: PutEvent[] = [];

  route(): FakeRoute {
    return routeTable('FakeEventBridge', {
      PutEventsCommand: (input: PutEventsCommandInput) => this.putEvents(input),
    });
  }

  /** The detail-types accepted so far, in order. */
  detailTypes(): string[] {
    return this.events.map((event) => event.detailType);
  }

  private putEvents(input: PutEventsCommandInput): Omit<PutEventsCommandOutput, '$metadata'> {
    const entries = input.Entries ?? [];
    if (entries.length < 1 || entries.length > 10) {
      throw Object.assign(new Error('Entries must hold 1 to 10 entries'), { name: 'ValidationException' });
    }
    const results = entries.map((entry) => {
      // The service refuses an entry without these, or with a Detail that is not a JSON object, per entry.
      if (!entry.Source || !entry.DetailType || !entry.Detail) {
        return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Source, DetailType and Detail are required' };
      }
      let detail: unknown;
      try {
        detail = JSON.parse(entry.Detail);
      } catch {
        return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is not valid JSON' };
      }
      this.events.push({
        source: entry.Source,
        detailType: entry.DetailType,
        detail,
        eventBusName: entry.EventBusName ?? 'default',
        resources: entry.Resources ?? [],
      });
      return { EventId: randomUUID() };
    });
    return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
  }
}

export interface SnsMessage {
  readonly topicArn: string;
  readonly subject?: string;
  readonly message: string;
}

export class FakeSns {
  readonly messages: SnsMessage[] = [];

  route(): FakeRoute {
    return routeTable('FakeSns', {
      PublishCommand: (input: PublishCommandInput) => this.publish(input),
    });
  }

  private publish(input: PublishCommandInput): Omit<PublishCommandOutput, '$metadata'> {
    if (!input.TopicArn || input.Message === undefined) {
      throw Object.assign(new Error('TopicArn and Message are required'), { name: 'InvalidParameterException' });
    }
    if (input.Subject !== undefined && input.Subject.length > 100) {
      throw Object.assign(new Error('Subject must be at most 100 characters'), { name: 'InvalidParameterException' });
    }
    this.messages.push({ topicArn: input.TopicArn, ...(input.Subject !== undefined && { subject: input.Subject }), message: input.Message });
    return { MessageId: randomUUID() };
  }
}

import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DEFAULT_EVENT_BUS, EVENT_SOURCE, type RolloutEvent } from '../domain/rollout-events';
import type { RolloutEvents } from '../ports';
import { withoutSdkLogging } from './client-config';

/**
 * Few attempts on purpose: an event is news, not a step of the rollout, and a throttled bus must
 * not hold a rollback back by the seconds adaptive retry would wait.
 */
const defaultClient = withoutSdkLogging(new EventBridgeClient({ retryMode: 'standard', maxAttempts: 2 }));

export interface EventBridgeRolloutEventsOptions {
  /** @default - one client per Lambda container */
  readonly client?: EventBridgeClient;
}

/** Sends rollout events to EventBridge as custom events, `source: "serinus"`. */
export class EventBridgeRolloutEvents implements RolloutEvents {
  private readonly client: EventBridgeClient;

  constructor(options: EventBridgeRolloutEventsOptions = {}) {
    this.client = options.client ?? defaultClient;
  }

  async publish(event: RolloutEvent): Promise<void> {
    const response = await this.client.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: EVENT_SOURCE,
            DetailType: event.detailType,
            Detail: JSON.stringify(event.detail),
            EventBusName: event.eventBusName ?? DEFAULT_EVENT_BUS,
            Resources: [event.detail.executionArn],
          },
        ],
      }),
    );
    // PutEvents answers 200 with a per-entry error when it refuses an entry.
    if ((response.FailedEntryCount ?? 0) > 0) {
      const entry = response.Entries?.[0];
      throw new Error(`EventBridge refused the "${event.detailType}" event: ${entry?.ErrorCode ?? 'unknown'} ${entry?.ErrorMessage ?? ''}`.trim());
    }
  }
}

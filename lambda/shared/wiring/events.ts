import { EventBridgeRolloutEvents } from '../../adapters/eventbridge-rollout-events';
import { SnsNotifier } from '../../adapters/sns-notifier';
import type { Notifier, RolloutEvents } from '../../ports';
import { once } from '../runtime';

export const events = once((): RolloutEvents => new EventBridgeRolloutEvents());
export const notifier = once((): Notifier => new SnsNotifier());

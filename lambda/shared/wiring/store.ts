import { DynamoDbRolloutStore } from '../../adapters/dynamodb-rollout-store';
import { ENV, EXECUTION_INDEX } from '../../handler-names';
import type { RolloutStore } from '../../ports';
import { once, requiredEnv } from '../runtime';

export const store = once(
  (): RolloutStore =>
    new DynamoDbRolloutStore(requiredEnv(ENV.tableName), undefined, {
      executionIndexName: process.env[ENV.executionIndexName] ?? EXECUTION_INDEX,
    }),
);

import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { HttpResponse } from '@smithy/protocol-http';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { Readable } from 'node:stream';
import { createDocumentClient, DynamoDbRolloutStore } from '../../lambda/adapters/dynamodb-rollout-store';
import type { RolloutRecord } from '../../lambda/domain/types';
import { LockHeldError, RecordMismatchError } from '../../lambda/errors';
import { EXECUTION_ARN, LISTENER_ARN, RULE_ARN, rolloutRecord } from '../support/fixtures';

const TABLE = 'serinus-rollouts';
const OTHER_EXECUTION = 'arn:aws:states:eu-west-1:123456789012:execution:checkout-rollout:release-1-4-3';
const NOW = new Date('2025-03-01T12:00:00.750Z');
const NOW_SECONDS = 1740830400;

/** As DynamoDB returns it on a failed condition: raw attribute values, not unmarshalled. */
function conditionFailed(item?: { executionArn: string; service: string; startedAt: string }): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: {},
    ...(item
      ? {
          Item: {
            targetKey: { S: LISTENER_ARN },
            executionArn: { S: item.executionArn },
            service: { S: item.service },
            startedAt: { S: item.startedAt },
            expiresAt: { N: String(NOW_SECONDS + 3600) },
          },
        }
      : {}),
  });
}

let ddb = mockClient(DynamoDBDocumentClient);

beforeEach(() => {
  ddb.reset();
});

function store(): DynamoDbRolloutStore {
  return new DynamoDbRolloutStore(TABLE);
}

describe('acquire', () => {
  const expectedPut = {
    TableName: TABLE,
    Item: rolloutRecord(),
    ConditionExpression: 'attribute_not_exists(#targetKey) OR (#expiresAt < :now AND #executionArn <> :executionArn)',
    ExpressionAttributeNames: { '#targetKey': 'targetKey', '#expiresAt': 'expiresAt', '#executionArn': 'executionArn' },
    ExpressionAttributeValues: { ':now': NOW_SECONDS, ':executionArn': EXECUTION_ARN },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };

  it('writes the record when the target is free or its lock is stale, with now in whole epoch seconds', async () => {
    // Prepare
    ddb.on(PutCommand).resolves({});

    // Act
    await store().acquire(rolloutRecord(), NOW);

    // Assess
    expect(ddb).toHaveReceivedCommandTimes(PutCommand, 1);
    expect(ddb.commandCalls(PutCommand)[0].args[0].input).toEqual(expectedPut);
  });

  it('throws LockHeld naming the holding execution, its service and start', async () => {
    // Prepare
    ddb.on(PutCommand).rejects(
      conditionFailed({ executionArn: OTHER_EXECUTION, service: 'checkout', startedAt: '2025-03-01T11:30:00.000Z' }),
    );

    // Act
    const acquiring = store().acquire(rolloutRecord(), NOW);

    // Assess
    await expect(acquiring).rejects.toThrow(LockHeldError);
    await expect(acquiring).rejects.toThrow(
      `Traffic target ${LISTENER_ARN} is locked by execution ${OTHER_EXECUTION} (service checkout, since 2025-03-01T11:30:00.000Z)`,
    );
    expect(ddb).toHaveReceivedCommandTimes(GetCommand, 0);
  });

  it('succeeds without writing when the same execution already holds the lock (a retry keeps its progress)', async () => {
    // Prepare
    ddb.on(PutCommand).rejects(
      conditionFailed({ executionArn: EXECUTION_ARN, service: 'checkout', startedAt: '2025-03-01T12:00:00.000Z' }),
    );

    // Act
    await store().acquire(rolloutRecord(), NOW);

    // Assess
    expect(ddb).toHaveReceivedCommandTimes(PutCommand, 1);
    expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 0);
    expect(ddb.commandCalls(PutCommand)[0].args[0].input).toEqual(expectedPut);
  });

  it('reads the holder consistently when the failure carries no item, and accepts its own lock', async () => {
    // Prepare
    ddb.on(PutCommand).rejects(conditionFailed());
    ddb.on(GetCommand).resolves({ Item: rolloutRecord({ phase: 'baking' }) });

    // Act
    await store().acquire(rolloutRecord(), NOW);

    // Assess
    expect(ddb).toHaveReceivedCommandWith(GetCommand, { TableName: TABLE, Key: { targetKey: LISTENER_ARN }, ConsistentRead: true });
  });

  it('reads the holder when the failure carries no item, and names another execution', async () => {
    // Prepare
    ddb.on(PutCommand).rejects(conditionFailed());
    ddb.on(GetCommand).resolves({ Item: rolloutRecord({ executionArn: OTHER_EXECUTION, service: 'checkout' }) });

    // Act
    const acquiring = store().acquire(rolloutRecord(), NOW);

    // Assess
    await expect(acquiring).rejects.toThrow(`is locked by execution ${OTHER_EXECUTION} (service checkout`);
  });

  it('names when an ended holder releases the lock: its fence period, not an action the user can take', async () => {
    // Prepare
    const endedAt = '2025-03-01T11:59:00.000Z';
    const fenceEnds = Date.parse('2025-03-01T12:05:00.000Z') / 1000;
    ddb.on(PutCommand).rejects(conditionFailed());
    ddb.on(GetCommand).resolves({ Item: rolloutRecord({ executionArn: OTHER_EXECUTION, phase: 'ended', endedAt, expiresAt: fenceEnds }) });

    // Act
    const acquiring = store().acquire(rolloutRecord(), NOW);

    // Assess
    await expect(acquiring).rejects.toThrow(
      `which ended at ${endedAt}; its revert is asserted again and the lock released at 2025-03-01T12:05:00.000Z. Start the rollout again after that.`,
    );
  });

  it('throws LockHeld when the holder vanished between the write and the read', async () => {
    // Prepare
    ddb.on(PutCommand).rejects(conditionFailed());
    ddb.on(GetCommand).resolves({});

    // Act
    const acquiring = store().acquire(rolloutRecord(), NOW);

    // Assess
    await expect(acquiring).rejects.toThrow(LockHeldError);
    await expect(acquiring).rejects.toThrow(/released it just now; start the rollout again/);
  });

  it('lets other errors through', async () => {
    // Prepare
    ddb.on(PutCommand).rejects(new Error('ProvisionedThroughputExceededException'));

    // Act
    const acquiring = store().acquire(rolloutRecord(), NOW);

    // Assess
    await expect(acquiring).rejects.toThrow('ProvisionedThroughputExceededException');
  });
});

describe('get', () => {
  it('reads the record consistently', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({ Item: rolloutRecord() });

    // Act
    const found = await store().get(LISTENER_ARN);

    // Assess
    expect(found).toEqual(rolloutRecord());
    expect(ddb.commandCalls(GetCommand)[0].args[0].input).toEqual({
      TableName: TABLE,
      Key: { targetKey: LISTENER_ARN },
      ConsistentRead: true,
    });
  });

  it('returns undefined for a free target', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({});

    // Act
    const found = await store().get(LISTENER_ARN);

    // Assess
    expect(found).toBeUndefined();
  });
});

describe('update', () => {
  it('sets and removes fields while the execution holds the lock', async () => {
    // Prepare
    const updated = rolloutRecord({ phase: 'shifting', lastWrittenWeights: { stable: 90, canary: 10 } });
    ddb.on(UpdateCommand).resolves({ Attributes: updated });

    // Act
    const result = await store().update(
      LISTENER_ARN,
      EXECUTION_ARN,
      { phase: 'shifting', lastWrittenWeights: { stable: 90, canary: 10 } },
      ['bake', 'previousStable'],
    );

    // Assess
    expect(result).toEqual(updated);
    expect(ddb.commandCalls(UpdateCommand)[0].args[0].input).toEqual({
      TableName: TABLE,
      Key: { targetKey: LISTENER_ARN },
      UpdateExpression: 'SET #phase = :phase, #lastWrittenWeights = :lastWrittenWeights REMOVE #bake, #previousStable',
      ConditionExpression: '#executionArn = :executionArn AND attribute_not_exists(#endedAt)',
      ExpressionAttributeNames: {
        '#executionArn': 'executionArn',
        '#endedAt': 'endedAt',
        '#phase': 'phase',
        '#lastWrittenWeights': 'lastWrittenWeights',
        '#bake': 'bake',
        '#previousStable': 'previousStable',
      },
      ExpressionAttributeValues: {
        ':executionArn': EXECUTION_ARN,
        ':phase': 'shifting',
        ':lastWrittenWeights': { stable: 90, canary: 10 },
      },
      ReturnValues: 'ALL_NEW',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  it('removes a field that is set to undefined', async () => {
    // Prepare
    ddb.on(UpdateCommand).resolves({ Attributes: rolloutRecord({ phase: 'shifting' }) });

    // Act
    await store().update(LISTENER_ARN, EXECUTION_ARN, { phase: 'shifting', bake: undefined });

    // Assess
    expect(ddb.commandCalls(UpdateCommand)[0].args[0].input).toEqual(
      expect.objectContaining({
        UpdateExpression: 'SET #phase = :phase REMOVE #bake',
        ExpressionAttributeNames: { '#executionArn': 'executionArn', '#endedAt': 'endedAt', '#phase': 'phase', '#bake': 'bake' },
        ExpressionAttributeValues: { ':executionArn': EXECUTION_ARN, ':phase': 'shifting' },
      }),
    );
  });

  it('only removes when nothing is set', async () => {
    // Prepare
    ddb.on(UpdateCommand).resolves({ Attributes: rolloutRecord() });

    // Act
    await store().update(LISTENER_ARN, EXECUTION_ARN, {}, ['bake']);

    // Assess
    expect(ddb.commandCalls(UpdateCommand)[0].args[0].input).toEqual(
      expect.objectContaining({
        UpdateExpression: 'REMOVE #bake',
        ExpressionAttributeNames: { '#executionArn': 'executionArn', '#endedAt': 'endedAt', '#bake': 'bake' },
        ExpressionAttributeValues: { ':executionArn': EXECUTION_ARN },
      }),
    );
  });

  it('throws RecordMismatch naming the execution that took the lock', async () => {
    // Prepare
    ddb.on(UpdateCommand).rejects(
      conditionFailed({ executionArn: OTHER_EXECUTION, service: 'checkout', startedAt: '2025-03-01T13:00:00.000Z' }),
    );

    // Act
    const updating = store().update(LISTENER_ARN, EXECUTION_ARN, { phase: 'baking' });

    // Assess
    await expect(updating).rejects.toThrow(RecordMismatchError);
    await expect(updating).rejects.toThrow(
      `The rollout record of ${LISTENER_ARN} is not held by ${EXECUTION_ARN}: the lock was taken by another execution, ${OTHER_EXECUTION}.`,
    );
  });

  it('throws RecordMismatch when the record is gone', async () => {
    // Prepare
    ddb.on(UpdateCommand).rejects(conditionFailed());

    // Act
    const updating = store().update(LISTENER_ARN, EXECUTION_ARN, { phase: 'baking' });

    // Assess
    await expect(updating).rejects.toThrow(RecordMismatchError);
    await expect(updating).rejects.toThrow(/the lock was released, ended or taken by another execution/);
  });

  it('lets the rollback paths update an ended record with allowEnded', async () => {
    // Prepare
    ddb.on(UpdateCommand).resolves({ Attributes: rolloutRecord({ phase: 'ended', endedAt: NOW.toISOString() }) });

    // Act
    await store().update(LISTENER_ARN, EXECUTION_ARN, { lastWrittenWeights: { stable: 100, canary: 0 } }, [], { allowEnded: true });

    // Assess
    expect(ddb.commandCalls(UpdateCommand)[0].args[0].input).toEqual(
      expect.objectContaining({
        ConditionExpression: '#executionArn = :executionArn',
        ExpressionAttributeNames: { '#executionArn': 'executionArn', '#lastWrittenWeights': 'lastWrittenWeights' },
      }),
    );
  });

  it('refuses an empty update of an ended record, and allows it with allowEnded', async () => {
    // Prepare
    const ended = rolloutRecord({ phase: 'ended', endedAt: '2025-03-01T12:30:00.000Z' });
    ddb.on(GetCommand).resolves({ Item: ended });

    // Act
    const refused = await store().update(LISTENER_ARN, EXECUTION_ARN, {}).catch((error: unknown) => error);
    const allowed = await store().update(LISTENER_ARN, EXECUTION_ARN, {}, [], { allowEnded: true });

    // Assess
    expect(refused).toBeInstanceOf(RecordMismatchError);
    expect((refused as Error).message).toMatch(/the rollout was ended at 2025-03-01T12:30:00.000Z/);
    expect(allowed).toEqual(ended);
  });

  it.each(['generation', 'endedAt'] as const)('refuses to set %s: only fence and end move it', async (field) => {
    // Act
    const updating = store().update(LISTENER_ARN, EXECUTION_ARN, { [field]: 3 } as never);

    // Assess
    await expect(updating).rejects.toThrow(TypeError);
    expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 0);
  });

  it('reads instead of writing when there is nothing to change', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({ Item: rolloutRecord() });

    // Act
    const result = await store().update(LISTENER_ARN, EXECUTION_ARN, {});

    // Assess
    expect(result).toEqual(rolloutRecord());
    expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 0);
    expect(ddb).toHaveReceivedCommandWith(GetCommand, { TableName: TABLE, Key: { targetKey: LISTENER_ARN }, ConsistentRead: true });
  });

  it('throws RecordMismatch on an empty update when the lock is gone', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({});

    // Act
    const updating = store().update(LISTENER_ARN, EXECUTION_ARN, {});

    // Assess
    await expect(updating).rejects.toThrow(RecordMismatchError);
    await expect(updating).rejects.toThrow(/the lock was released\.$/);
  });

  it.each([
    ['set executionArn', { executionArn: OTHER_EXECUTION }, []],
    ['set targetKey', { targetKey: 'other' }, []],
    ['remove executionArn', {}, ['executionArn']],
    ['remove targetKey', {}, ['targetKey']],
    ['set and remove the same field', { phase: 'baking' }, ['phase']],
  ])('refuses to %s without calling DynamoDB', async (_case, set, remove) => {
    // Prepare
    const untypedSet = set as Parameters<DynamoDbRolloutStore['update']>[2];
    const untypedRemove = remove as Array<keyof RolloutRecord>;

    // Act
    const updating = store().update(LISTENER_ARN, EXECUTION_ARN, untypedSet, untypedRemove);

    // Assess
    await expect(updating).rejects.toThrow(TypeError);
    expect(ddb.calls()).toHaveLength(0);
  });
});

describe('fence', () => {
  it('bumps the generation only while the execution holds the record at that generation and it is not ended', async () => {
    // Prepare
    ddb.on(UpdateCommand).resolves({});

    // Act
    const next = await store().fence(LISTENER_ARN, EXECUTION_ARN, 4);

    // Assess
    expect(next).toBe(5);
    expect(ddb.commandCalls(UpdateCommand)[0].args[0].input).toEqual({
      TableName: TABLE,
      Key: { targetKey: LISTENER_ARN },
      UpdateExpression: 'SET #generation = :next, #fencedBy = :nonce',
      ConditionExpression: '#executionArn = :executionArn AND #generation = :generation AND attribute_not_exists(#endedAt)',
      ExpressionAttributeNames: { '#executionArn': 'executionArn', '#generation': 'generation', '#endedAt': 'endedAt', '#fencedBy': 'fencedBy' },
      ExpressionAttributeValues: { ':executionArn': EXECUTION_ARN, ':generation': 4, ':next': 5, ':nonce': expect.stringMatching(/^[0-9a-f-]{36}$/) },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  it('takes a failed condition for success when the record shows its own write: the reply was lost and the SDK retried', async () => {
    // Prepare: the first attempt landed (generation 5, this fence's nonce); its retry fails the condition.
    let landed: Record<string, unknown> | undefined;
    ddb.on(UpdateCommand).callsFake((input: { ExpressionAttributeValues: Record<string, unknown> }) => {
      landed ??= { executionArn: { S: EXECUTION_ARN }, generation: { N: '5' }, fencedBy: { S: input.ExpressionAttributeValues[':nonce'] } };
      throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, Item: landed as never });
    });

    // Act
    const next = await store().fence(LISTENER_ARN, EXECUTION_ARN, 4);

    // Assess
    expect(next).toBe(5);
  });

  it('refuses a record at the next generation written by another fence (another nonce)', async () => {
    // Prepare
    ddb.on(UpdateCommand).rejects(
      new ConditionalCheckFailedException({
        message: 'The conditional request failed',
        $metadata: {},
        Item: { executionArn: { S: EXECUTION_ARN }, generation: { N: '5' }, fencedBy: { S: 'someone-else' } } as never,
      }),
    );

    // Act
    const fencing = await store().fence(LISTENER_ARN, EXECUTION_ARN, 4).catch((error: unknown) => error);

    // Assess
    expect(fencing).toBeInstanceOf(RecordMismatchError);
  });

  it.each<[string, Record<string, unknown> | undefined, RegExp]>([
    ['ended', { executionArn: { S: EXECUTION_ARN }, endedAt: { S: '2025-03-01T12:30:00.000Z' }, generation: { N: '5' } }, /the rollout was ended at 2025-03-01T12:30:00.000Z.* Nothing was written/],
    ['moved on', { executionArn: { S: EXECUTION_ARN }, generation: { N: '6' } }, /moved from generation 4 to 6/],
    ['taken over', { executionArn: { S: OTHER_EXECUTION }, generation: { N: '0' } }, new RegExp(`taken by another execution, ${OTHER_EXECUTION}`)],
    ['gone', undefined, /released, ended or taken by another execution/],
  ])('throws RecordMismatch when the record was %s', async (_label, item, message) => {
    // Prepare: without ALL_OLD the store reads the record consistently; here it is gone.
    ddb.on(GetCommand).resolves({});
    ddb.on(UpdateCommand).rejects(
      new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, ...(item ? { Item: item as never } : {}) }),
    );

    // Act
    const fencing = await store().fence(LISTENER_ARN, EXECUTION_ARN, 4).catch((error: unknown) => error);

    // Assess
    expect(fencing).toBeInstanceOf(RecordMismatchError);
    expect((fencing as Error).message).toMatch(message);
  });
});

describe('end', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('marks the record ended, moves the generation on and sets expiresAt to the end of the fence', async () => {
    // Prepare
    jest.useFakeTimers({ now: NOW, doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    const ended = rolloutRecord({ phase: 'ended', endedAt: NOW.toISOString(), generation: 3 });
    ddb.on(GetCommand).resolves({ Item: rolloutRecord({ generation: 2 }) });
    ddb.on(UpdateCommand).resolves({ Attributes: ended });

    // Act
    const result = await store().end(LISTENER_ARN, EXECUTION_ARN, new Date('2025-03-01T12:06:00.200Z'), 'execution ended ABORTED');

    // Assess
    expect(result).toEqual(ended);
    expect(ddb.commandCalls(UpdateCommand)[0].args[0].input).toEqual({
      TableName: TABLE,
      Key: { targetKey: LISTENER_ARN },
      UpdateExpression: 'SET #endedAt = :endedAt, #endReason = :endReason, #phase = :phase, #expiresAt = :expiresAt, #generation = :next',
      ConditionExpression: '#executionArn = :executionArn AND (#generation = :generation OR attribute_not_exists(#generation))',
      ExpressionAttributeNames: {
        '#executionArn': 'executionArn',
        '#endedAt': 'endedAt',
        '#endReason': 'endReason',
        '#phase': 'phase',
        '#expiresAt': 'expiresAt',
        '#generation': 'generation',
      },
      ExpressionAttributeValues: {
        ':executionArn': EXECUTION_ARN,
        ':endedAt': NOW.toISOString(),
        ':endReason': 'execution ended ABORTED',
        ':phase': 'ended',
        ':expiresAt': NOW_SECONDS + 361,
        ':generation': 2,
        ':next': 3,
      },
      ReturnValues: 'ALL_NEW',
    });
  });

  it('returns undefined, writing nothing, when another execution holds the record', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({ Item: rolloutRecord({ executionArn: OTHER_EXECUTION }) });

    // Act
    const result = await store().end(LISTENER_ARN, EXECUTION_ARN, NOW, 'why');

    // Assess
    expect(result).toBeUndefined();
    expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 0);
  });

  it('tries again on the newer generation when a fence check lands between its read and its write', async () => {
    // Prepare
    ddb.on(GetCommand).resolvesOnce({ Item: rolloutRecord({ generation: 2 }) }).resolves({ Item: rolloutRecord({ generation: 3 }) });
    ddb.on(UpdateCommand).rejectsOnce(conditionFailed()).resolves({ Attributes: rolloutRecord({ generation: 4 }) });

    // Act
    await store().end(LISTENER_ARN, EXECUTION_ARN, NOW, 'why');

    // Assess
    expect(ddb.commandCalls(UpdateCommand).map((c) => c.args[0].input.ExpressionAttributeValues?.[':next'])).toEqual([3, 4]);
  });

});

describe('release', () => {
  const expectedDelete = {
    TableName: TABLE,
    Key: { targetKey: LISTENER_ARN },
    ConditionExpression: '#executionArn = :executionArn',
    ExpressionAttributeNames: { '#executionArn': 'executionArn' },
    ExpressionAttributeValues: { ':executionArn': EXECUTION_ARN },
  };

  it('deletes the record held by the execution', async () => {
    // Prepare
    ddb.on(DeleteCommand).resolves({});

    // Act
    const released = await store().release(LISTENER_ARN, EXECUTION_ARN);

    // Assess
    expect(released).toBe(true);
    expect(ddb.commandCalls(DeleteCommand)[0].args[0].input).toEqual(expectedDelete);
  });

  it('returns false when the record is gone or held by another execution', async () => {
    // Prepare
    ddb.on(DeleteCommand).rejects(conditionFailed());

    // Act
    const released = await store().release(LISTENER_ARN, EXECUTION_ARN);

    // Assess
    expect(released).toBe(false);
    expect(ddb.commandCalls(DeleteCommand)[0].args[0].input).toEqual(expectedDelete);
  });

  it('lets other errors through', async () => {
    // Prepare
    ddb.on(DeleteCommand).rejects(new Error('InternalServerError'));

    // Act
    const releasing = store().release(LISTENER_ARN, EXECUTION_ARN);

    // Assess
    await expect(releasing).rejects.toThrow('InternalServerError');
  });
});

describe('findByExecution', () => {
  const expectedQuery = {
    TableName: TABLE,
    IndexName: 'byExecution',
    KeyConditionExpression: '#executionArn = :executionArn',
    ExpressionAttributeNames: { '#executionArn': 'executionArn' },
    ExpressionAttributeValues: { ':executionArn': EXECUTION_ARN },
  };

  it('queries the index and confirms the hit with a consistent read', async () => {
    // Prepare
    ddb.on(QueryCommand).resolves({ Items: [rolloutRecord()] });
    ddb.on(GetCommand).resolves({ Item: rolloutRecord({ phase: 'baking' }) });

    // Act
    const found = await store().findByExecution(EXECUTION_ARN);

    // Assess
    expect(found).toEqual(rolloutRecord({ phase: 'baking' }));
    expect(ddb.commandCalls(QueryCommand)[0].args[0].input).toEqual(expectedQuery);
    expect(ddb).toHaveReceivedCommandWith(GetCommand, { TableName: TABLE, Key: { targetKey: LISTENER_ARN }, ConsistentRead: true });
  });

  it('uses the configured index name', async () => {
    // Prepare
    ddb.on(QueryCommand).resolves({ Items: [] });

    // Act
    await new DynamoDbRolloutStore(TABLE, undefined, { executionIndexName: 'rollouts-by-execution' }).findByExecution(EXECUTION_ARN);

    // Assess
    expect(ddb.commandCalls(QueryCommand)[0].args[0].input).toEqual({ ...expectedQuery, IndexName: 'rollouts-by-execution' });
  });

  it('ignores a stale index entry whose item was taken over', async () => {
    // Prepare
    ddb.on(QueryCommand).resolves({ Items: [rolloutRecord()] });
    ddb.on(GetCommand).resolves({ Item: rolloutRecord({ executionArn: OTHER_EXECUTION }) });

    // Act
    const found = await store().findByExecution(EXECUTION_ARN);

    // Assess
    expect(found).toBeUndefined();
  });

  it('returns undefined when the execution holds nothing', async () => {
    // Prepare
    ddb.on(QueryCommand).resolves({ Items: [] });

    // Act
    const found = await store().findByExecution(EXECUTION_ARN);

    // Assess
    expect(found).toBeUndefined();
    expect(ddb).toHaveReceivedCommandTimes(GetCommand, 0);
  });

  it('follows the query pages', async () => {
    // Prepare
    const pageKey = { targetKey: 'stale', executionArn: EXECUTION_ARN };
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: [], LastEvaluatedKey: pageKey })
      .resolvesOnce({ Items: [rolloutRecord()] });
    ddb.on(GetCommand).resolves({ Item: rolloutRecord() });

    // Act
    const found = await store().findByExecution(EXECUTION_ARN);

    // Assess
    expect(found).toEqual(rolloutRecord());
    expect(ddb.commandCalls(QueryCommand).map((call) => call.args[0].input)).toEqual([
      expectedQuery,
      { ...expectedQuery, ExclusiveStartKey: pageKey },
    ]);
  });
});

describe('list', () => {
  it('scans every page consistently', async () => {
    // Prepare
    const first = rolloutRecord();
    const second = rolloutRecord({ targetKey: RULE_ARN, executionArn: OTHER_EXECUTION });
    ddb
      .on(ScanCommand)
      .resolvesOnce({ Items: [first], LastEvaluatedKey: { targetKey: LISTENER_ARN } })
      .resolvesOnce({ Items: [second] });

    // Act
    const records = await store().list();

    // Assess
    expect(records).toEqual([first, second]);
    expect(ddb.commandCalls(ScanCommand).map((call) => call.args[0].input)).toEqual([
      { TableName: TABLE, ConsistentRead: true },
      { TableName: TABLE, ConsistentRead: true, ExclusiveStartKey: { targetKey: LISTENER_ARN } },
    ]);
  });

  it('returns an empty list for an empty table', async () => {
    // Prepare
    ddb.on(ScanCommand).resolves({});

    // Act
    const records = await store().list();

    // Assess
    expect(records).toEqual([]);
    expect(ddb).toHaveReceivedCommandTimes(ScanCommand, 1);
  });
});

describe('createDocumentClient', () => {
  it('drops undefined optional fields, nested ones too, when it marshals a record', async () => {
    // Prepare: a real client whose request handler keeps the wire request instead of sending it
    ddb.restore();
    let body = '';
    const client = new DynamoDBClient({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      maxAttempts: 1,
      requestHandler: {
        handle: async (request: { body?: unknown }) => {
          body = typeof request.body === 'string' ? request.body : new TextDecoder().decode(request.body as Uint8Array);
          return { response: new HttpResponse({ statusCode: 200, headers: {}, body: Readable.from([Buffer.from('{}')]) }) };
        },
      },
    });

    try {
      // Act
      const base = rolloutRecord();
      const withUnsetOptionals = rolloutRecord({ bake: undefined, request: { ...base.request, reason: undefined } });
      await new DynamoDbRolloutStore(TABLE, createDocumentClient(client)).acquire(withUnsetOptionals, NOW);

      // Assess
      const sent = JSON.parse(body) as { TableName: string; Item: Record<string, { M?: Record<string, unknown> }> };
      expect(sent.TableName).toBe(TABLE);
      expect(sent.Item.executionArn).toEqual({ S: EXECUTION_ARN });
      expect(Object.keys(sent.Item)).not.toContain('bake');
      expect(Object.keys(sent.Item.request.M ?? {})).not.toContain('reason');
      expect(Object.keys(sent.Item.request.M ?? {})).toContain('images');
    } finally {
      ddb = mockClient(DynamoDBDocumentClient);
    }
  });
});

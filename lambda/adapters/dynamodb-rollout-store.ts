import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { RolloutRecord } from '../domain/types';
import { LockHeldError, RecordMismatchError } from '../errors';
import type { RolloutStore } from '../ports';
import { clientConfig, withoutSdkLogging } from './client-config';
import { EXECUTION_INDEX } from '../handler-names';

/** Options of the rollout table that the construct may change. */
export interface DynamoDbRolloutStoreOptions {
  /**
   * The global secondary index keyed by `executionArn` (projection ALL).
   * @default 'byExecution'
   */
  readonly executionIndexName?: string;
}

/**
 * The Document client every store uses unless a test injects one. `removeUndefinedValues` lets a
 * record carry optional fields (`bake`, `previousStable`) that are simply not set yet.
 */
export function createDocumentClient(client = withoutSdkLogging(new DynamoDBClient({ ...clientConfig }))): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

type RecordKey = keyof RolloutRecord;
type UpdatableFields = Partial<Omit<RolloutRecord, 'targetKey' | 'executionArn' | 'generation'>>;

/**
 * The fields that identify a lock, and the fence's generation, which only `fence` and `end` move;
 * changing them through `update` would hand over the lock or let a stale handler through.
 */
const IDENTITY_FIELDS: ReadonlySet<string> = new Set<RecordKey>(['targetKey', 'executionArn', 'generation', 'endedAt']);
/** A fence check can move the generation between `end`'s read and its write; this many tries suffice. */
const END_ATTEMPTS = 5;
/** Field names become `#name` / `:name` placeholders, so they must be plain identifiers. */
const PLACEHOLDER_SAFE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The rollout table: one item per traffic target, which is both the lock and the rollout record.
 * Partition key `targetKey`; GSI on `executionArn`.
 */
export class DynamoDbRolloutStore implements RolloutStore {
  private readonly executionIndexName: string;

  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = createDocumentClient(),
    options: DynamoDbRolloutStoreOptions = {},
  ) {
    this.executionIndexName = options.executionIndexName ?? EXECUTION_INDEX;
  }

  /**
   * One conditional put that writes only when the target is free, or its lock is stale and
   * belongs to another execution. A retry by the holding execution therefore fails the
   * condition and writes nothing, so the progress it already recorded (weights, snapshots, bake
   * token) survives; the failure's ALL_OLD item tells a retry from a real conflict. This keeps
   * the happy path to one request and leaves no window between a read and the write.
   */
  async acquire(record: RolloutRecord, now: Date): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: record,
          ConditionExpression:
            'attribute_not_exists(#targetKey) OR (#expiresAt < :now AND #executionArn <> :executionArn)',
          ExpressionAttributeNames: { '#targetKey': 'targetKey', '#expiresAt': 'expiresAt', '#executionArn': 'executionArn' },
          ExpressionAttributeValues: { ':now': Math.floor(now.getTime() / 1000), ':executionArn': record.executionArn },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      // Without ALL_OLD (an older DynamoDB Local, some fakes) a consistent read finds the holder.
      const holder = error.Item ? holderOf(error.Item) : await this.get(record.targetKey);
      if (holder?.executionArn === record.executionArn) return;
      throw new LockHeldError(lockHeldMessage(record.targetKey, holder), { cause: error });
    }
  }

  async get(targetKey: string): Promise<RolloutRecord | undefined> {
    const output = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { targetKey }, ConsistentRead: true }),
    );
    return output.Item as RolloutRecord | undefined;
  }

  /**
   * A field set to `undefined` is removed: the Document client drops undefined values, which
   * would leave its `:placeholder` dangling. With nothing to set or remove no write is made: a consistent read
   * still proves the lock is held, so the contract (record back, or RecordMismatch) is the same.
   */
  async update(
    targetKey: string,
    executionArn: string,
    set: UpdatableFields,
    remove: RecordKey[] = [],
    options: { readonly allowEnded?: boolean } = {},
  ): Promise<RolloutRecord> {
    const entries = Object.entries(set);
    const assignments = entries.filter(([, value]) => value !== undefined);
    const unset = entries.filter(([, value]) => value === undefined).map(([name]) => name);
    const removals = [...new Set<string>([...remove, ...unset])];
    assertUpdatable(assignments.map(([name]) => name), removals);

    if (assignments.length === 0 && removals.length === 0) {
      const current = await this.get(targetKey);
      if (current?.executionArn !== executionArn || (current.endedAt !== undefined && !options.allowEnded)) {
        throw new RecordMismatchError(recordMismatchMessage(targetKey, executionArn, current ? holderOf(current as unknown as Record<string, unknown>) : null));
      }
      return current;
    }

    const clauses: string[] = [];
    if (assignments.length > 0) clauses.push(`SET ${assignments.map(([name]) => `#${name} = :${name}`).join(', ')}`);
    if (removals.length > 0) clauses.push(`REMOVE ${removals.map((name) => `#${name}`).join(', ')}`);
    const names: Record<string, string> = { '#executionArn': 'executionArn' };
    if (!options.allowEnded) names['#endedAt'] = 'endedAt';
    for (const name of [...assignments.map(([n]) => n), ...removals]) names[`#${name}`] = name;
    const values: Record<string, unknown> = { ':executionArn': executionArn };
    for (const [name, value] of assignments) values[`:${name}`] = value;

    try {
      const output = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { targetKey },
          UpdateExpression: clauses.join(' '),
          ConditionExpression: options.allowEnded
            ? '#executionArn = :executionArn'
            : '#executionArn = :executionArn AND attribute_not_exists(#endedAt)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      if (!output.Attributes) throw new Error(`UpdateItem on ${targetKey} returned no attributes although ALL_NEW was asked for`);
      return output.Attributes as RolloutRecord;
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      // A missing item fails the condition without an ALL_OLD item; `undefined` means "not told".
      const holder = error.Item ? holderOf(error.Item) : undefined;
      throw new RecordMismatchError(recordMismatchMessage(targetKey, executionArn, holder), { cause: error });
    }
  }

  async fence(targetKey: string, executionArn: string, generation: number): Promise<number> {
    // The nonce tells this fence's own write from anyone else's: when the reply is lost and the SDK
    // retries, the retry fails the condition on the generation its first attempt already moved.
    const nonce = randomUUID();
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { targetKey },
          UpdateExpression: 'SET #generation = :next, #fencedBy = :nonce',
          ConditionExpression: '#executionArn = :executionArn AND #generation = :generation AND attribute_not_exists(#endedAt)',
          ExpressionAttributeNames: { '#executionArn': 'executionArn', '#generation': 'generation', '#endedAt': 'endedAt', '#fencedBy': 'fencedBy' },
          ExpressionAttributeValues: { ':executionArn': executionArn, ':generation': generation, ':next': generation + 1, ':nonce': nonce },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return generation + 1;
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      const item: Record<string, unknown> | undefined = error.Item ?? ((await this.get(targetKey)) as Record<string, unknown> | undefined);
      const holder = item ? holderOf(item) : undefined;
      const ownWrite = item !== undefined && stringAttribute(item, 'fencedBy') === nonce && holder?.executionArn === executionArn && holder.generation === generation + 1 && !holder.endedAt;
      if (ownWrite) return generation + 1;
      throw new RecordMismatchError(fenceMessage(targetKey, executionArn, generation, holder), { cause: error });
    }
  }

  /**
   * A read, then a write conditioned on the generation read: a fence check that lands in between
   * fails the condition and the end is tried again on the newer generation. (No `ADD`/arithmetic,
   * so the same request works against DynamoDB Local and the in-process fake.)
   */
  async end(targetKey: string, executionArn: string, until: Date, why: string): Promise<RolloutRecord | undefined> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.get(targetKey);
      if (current?.executionArn !== executionArn) return undefined;
      const generation = current.generation ?? 0;
      try {
        const output = await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { targetKey },
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
              ':executionArn': executionArn,
              ':endedAt': new Date().toISOString(),
              ':endReason': why,
              ':phase': 'ended',
              ':expiresAt': Math.ceil(until.getTime() / 1000),
              ':generation': generation,
              ':next': generation + 1,
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return output.Attributes as RolloutRecord | undefined;
      } catch (error) {
        if (!isConditionalCheckFailed(error) || attempt >= END_ATTEMPTS) throw error;
      }
    }
  }

  async release(targetKey: string, executionArn: string): Promise<boolean> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { targetKey },
          ConditionExpression: '#executionArn = :executionArn',
          ExpressionAttributeNames: { '#executionArn': 'executionArn' },
          ExpressionAttributeValues: { ':executionArn': executionArn },
        }),
      );
      return true;
    } catch (error) {
      // Already released, or taken over after going stale: either way not ours to delete.
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  /**
   * The index is eventually consistent: it can still list an item that was released or taken
   * over. Each hit is confirmed by a consistent read of the table before it is returned.
   */
  async findByExecution(executionArn: string): Promise<RolloutRecord | undefined> {
    let exclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: this.executionIndexName,
          KeyConditionExpression: '#executionArn = :executionArn',
          ExpressionAttributeNames: { '#executionArn': 'executionArn' },
          ExpressionAttributeValues: { ':executionArn': executionArn },
          ...(exclusiveStartKey ? { ExclusiveStartKey: exclusiveStartKey } : {}),
        }),
      );
      for (const hit of (page.Items ?? []) as RolloutRecord[]) {
        const current = await this.get(hit.targetKey);
        if (current?.executionArn === executionArn) return current;
      }
      exclusiveStartKey = page.LastEvaluatedKey;
    } while (exclusiveStartKey);
    return undefined;
  }

  /** Consistent, because the sweeper decides on rollbacks from it. */
  async list(): Promise<RolloutRecord[]> {
    const records: RolloutRecord[] = [];
    let exclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new ScanCommand({
          TableName: this.tableName,
          ConsistentRead: true,
          ...(exclusiveStartKey ? { ExclusiveStartKey: exclusiveStartKey } : {}),
        }),
      );
      records.push(...((page.Items ?? []) as RolloutRecord[]));
      exclusiveStartKey = page.LastEvaluatedKey;
    } while (exclusiveStartKey);
    return records;
  }
}

/** What a failed condition tells about the item in the way. */
interface Holder {
  readonly executionArn?: string;
  readonly service?: string;
  readonly startedAt?: string;
  readonly endedAt?: string;
  readonly generation?: number;
  /** Epoch seconds; for an ended record, when its fence period ends. */
  readonly expiresAt?: number;
}

type ConditionalCheckFailed = Error & { Item?: Record<string, unknown> };

/** By name rather than `instanceof`, so an error from another SDK copy or a fake still counts. */
function isConditionalCheckFailed(error: unknown): error is ConditionalCheckFailed {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

function holderOf(item: Record<string, unknown>): Holder {
  return {
    executionArn: stringAttribute(item, 'executionArn'),
    service: stringAttribute(item, 'service'),
    startedAt: stringAttribute(item, 'startedAt'),
    endedAt: stringAttribute(item, 'endedAt'),
    generation: numberAttribute(item, 'generation'),
    expiresAt: numberAttribute(item, 'expiresAt'),
  };
}

function numberAttribute(item: Record<string, unknown>, name: string): number | undefined {
  const value = item[name];
  if (typeof value === 'number') return value;
  if (typeof value === 'object' && value !== null && 'N' in value && typeof value.N === 'string') return Number(value.N);
  return undefined;
}

/**
 * The Document client unmarshalls successful output only: the item on a
 * ConditionalCheckFailedException arrives as raw attribute values (`{ S: '…' }`). A plain string
 * is accepted too, for fakes that throw native items.
 */
function stringAttribute(item: Record<string, unknown>, name: string): string | undefined {
  const value = item[name];
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && 'S' in value && typeof value.S === 'string') return value.S;
  return undefined;
}

function lockHeldMessage(targetKey: string, holder: Holder | undefined): string {
  if (!holder) {
    return `Traffic target ${targetKey} was locked by another rollout that released it just now; start the rollout again.`;
  }
  const details = [holder.service && `service ${holder.service}`, holder.startedAt && `since ${holder.startedAt}`]
    .filter(Boolean)
    .join(', ');
  const what = `Traffic target ${targetKey} is locked by execution ${holder.executionArn ?? '(unknown)'}` + (details ? ` (${details})` : '');
  if (holder.endedAt && holder.expiresAt !== undefined) {
    // Ended by cleanup: a handler of that execution may still be running until the fence ends.
    const fenceEnds = new Date(holder.expiresAt * 1000).toISOString();
    return `${what}, which ended at ${holder.endedAt}; its revert is asserted again and the lock released at ${fenceEnds}. Start the rollout again after that.`;
  }
  return `${what}; wait for that rollout to end, or stop it, before starting another.`;
}

/** `null`: the item is known to be gone; `undefined`: DynamoDB did not say what is there. */
function recordMismatchMessage(targetKey: string, executionArn: string, holder: Holder | null | undefined): string {
  const prefix = `The rollout record of ${targetKey} is not held by ${executionArn}`;
  if (holder === null) return `${prefix}: the lock was released.`;
  if (!holder?.executionArn) return `${prefix}: the lock was released, ended or taken by another execution.`;
  if (holder.executionArn === executionArn && holder.endedAt) return `${prefix} any more: the rollout was ended at ${holder.endedAt} (stopped, timed out or rolled back).`;
  if (holder.executionArn === executionArn) return `${prefix} any more.`;
  return `${prefix}: the lock was taken by another execution, ${holder.executionArn}.`;
}

function fenceMessage(targetKey: string, executionArn: string, generation: number, holder: Holder | undefined): string {
  const fenced = 'nothing was written';
  if (holder?.executionArn === executionArn && !holder.endedAt && holder.generation !== undefined) {
    return `The rollout record of ${targetKey} moved from generation ${generation} to ${holder.generation}: another handler of this execution wrote in between; ${fenced}.`;
  }
  return `${recordMismatchMessage(targetKey, executionArn, holder)} Nothing was written.`;
}

function assertUpdatable(setNames: string[], removeNames: string[]): void {
  for (const name of [...setNames, ...removeNames]) {
    if (IDENTITY_FIELDS.has(name)) throw new TypeError(`update must not change ${name}: it identifies the lock`);
    if (!PLACEHOLDER_SAFE.test(name)) throw new TypeError(`update cannot name the field ${JSON.stringify(name)}`);
  }
  const overlap = setNames.filter((name) => removeNames.includes(name));
  if (overlap.length > 0) throw new TypeError(`update cannot both set and remove ${overlap.join(', ')}`);
}

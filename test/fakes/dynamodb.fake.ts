import { ConditionalCheckFailedException, DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Interception } from '../../local/fakes/sdk-intercept';
import { FakeDynamoDb } from '../../local/fakes/dynamodb';

const TABLE = 'rollouts';
const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));

describe('FakeDynamoDb', () => {
  let fake: FakeDynamoDb;
  let stub: Interception;

  beforeEach(() => {
    fake = new FakeDynamoDb();
    stub = fake.install();
    fake.createTable(TABLE, { partitionKey: 'targetKey', indexes: { byExecution: 'executionArn' } });
  });

  afterEach(() => stub.restore());

  /** Items a..h hold every combination of a, b, c in {0, 1}. */
  function seedCombinations(): void {
    'abcdefgh'.split('').forEach((id, index) => {
      fake.seed(TABLE, { targetKey: id, a: (index >> 2) & 1, b: (index >> 1) & 1, c: index & 1 });
    });
  }

  async function matching(filter: string, values: Record<string, unknown> | undefined, names?: Record<string, string>): Promise<string[]> {
    const result = await client.send(
      new ScanCommand({ TableName: TABLE, FilterExpression: filter, ExpressionAttributeValues: values, ExpressionAttributeNames: names }),
    );
    return (result.Items ?? []).map((item) => item.targetKey as string);
  }

  describe('condition expressions', () => {
    it('binds NOT tighter than AND, and AND tighter than OR', async () => {
      // Prepare
      seedCombinations();

      // Act
      const ids = await matching('NOT #a = :one AND #b = :one OR #c = :one', { ':one': 1 }, { '#a': 'a', '#b': 'b', '#c': 'c' });

      // Assess: ((NOT a = 1) AND b = 1) OR c = 1
      expect(ids).toEqual(['b', 'c', 'd', 'f', 'h']);
    });

    it('lets parentheses override precedence', async () => {
      // Prepare
      seedCombinations();

      // Act
      const ids = await matching('NOT (#a = :one AND (#b = :one OR #c = :one))', { ':one': 1 }, { '#a': 'a', '#b': 'b', '#c': 'c' });

      // Assess: everything except a = 1 with b or c set
      expect(ids).toEqual(['a', 'b', 'c', 'd', 'e']);
    });

    it.each([
      ['=', ['n9']],
      ['<>', ['n10', 'n2']],
      ['<', ['n2']],
      ['<=', ['n2', 'n9']],
      ['>', ['n10']],
      ['>=', ['n10', 'n9']],
    ])('compares numbers numerically with %s', async (operator, expected) => {
      // Prepare
      for (const n of [2, 9, 10]) fake.seed(TABLE, { targetKey: `n${n}`, weight: n });

      // Act
      const ids = await matching(`weight ${operator} :nine`, { ':nine': 9 });

      // Assess
      expect(ids).toEqual(expected);
    });

    it('compares strings by their bytes', async () => {
      // Prepare
      for (const name of ['B', 'a', 'b']) fake.seed(TABLE, { targetKey: name, label: name });

      // Act
      const ids = await matching('label < :b', { ':b': 'b' });

      // Assess: 'B' (0x42) and 'a' (0x61) sort before 'b' (0x62)
      expect(ids).toEqual(['B', 'a']);
    });

    it('treats a missing attribute as absent: attribute_not_exists holds, = fails, <> holds', async () => {
      // Prepare
      fake.seed(TABLE, { targetKey: 'with', phase: 'baking' });
      fake.seed(TABLE, { targetKey: 'without' });

      // Act
      const notExists = await matching('attribute_not_exists(phase)', undefined);
      const exists = await matching('attribute_exists(phase)', undefined);
      const equal = await matching('phase = :p', { ':p': 'baking' });
      const notEqual = await matching('phase <> :p', { ':p': 'baking' });

      // Assess
      expect(notExists).toEqual(['without']);
      expect(exists).toEqual(['with']);
      expect(equal).toEqual(['with']);
      expect(notEqual).toEqual(['without']);
    });

    it('evaluates types strictly: a string never equals a number', async () => {
      // Prepare
      fake.seed(TABLE, { targetKey: 'k', weight: 10 });

      // Act
      const ids = await matching('weight = :ten', { ':ten': '10' });

      // Assess
      expect(ids).toEqual([]);
    });
  });

  describe('conditional writes', () => {
    it('throws ConditionalCheckFailedException and keeps the item', async () => {
      // Prepare
      fake.seed(TABLE, { targetKey: 'listener-1', executionArn: 'exec-a' });

      // Act
      const put = client.send(
        new PutCommand({ TableName: TABLE, Item: { targetKey: 'listener-1', executionArn: 'exec-b' }, ConditionExpression: 'attribute_not_exists(targetKey)' }),
      );

      // Assess
      await expect(put).rejects.toBeInstanceOf(ConditionalCheckFailedException);
      await expect(put).rejects.toMatchObject({ name: 'ConditionalCheckFailedException', message: 'The conditional request failed' });
      expect(fake.items(TABLE)).toEqual([{ targetKey: 'listener-1', executionArn: 'exec-a' }]);
    });

    it('carries the old item in AttributeValue form with ReturnValuesOnConditionCheckFailure ALL_OLD, as the document client does', async () => {
      // Prepare
      fake.seed(TABLE, { targetKey: 'listener-1', executionArn: 'exec-a', expiresAt: 100 });

      // Act
      const error = await client
        .send(
          new UpdateCommand({
            TableName: TABLE,
            Key: { targetKey: 'listener-1' },
            UpdateExpression: 'SET #phase = :phase',
            ConditionExpression: '#exec = :exec',
            ExpressionAttributeNames: { '#phase': 'phase', '#exec': 'executionArn' },
            ExpressionAttributeValues: { ':phase': 'baking', ':exec': 'exec-b' },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        )
        .catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(ConditionalCheckFailedException);
      expect((error as ConditionalCheckFailedException).Item).toEqual({
        targetKey: { S: 'listener-1' },
        executionArn: { S: 'exec-a' },
        expiresAt: { N: '100' },
      });
    });

    it('evaluates conditions against an empty item when none exists', async () => {
      // Act
      const result = await client.send(
        new PutCommand({
          TableName: TABLE,
          Item: { targetKey: 'listener-1', executionArn: 'exec-a' },
          ConditionExpression: 'attribute_not_exists(targetKey) OR #expires < :now',
          ExpressionAttributeNames: { '#expires': 'expiresAt' },
          ExpressionAttributeValues: { ':now': 1000 },
          ReturnValues: 'ALL_OLD',
        }),
      );

      // Assess
      expect(result.Attributes).toBeUndefined();
      expect(fake.items(TABLE)).toEqual([{ targetKey: 'listener-1', executionArn: 'exec-a' }]);
    });
  });

  describe('update expressions', () => {
    it('applies SET and REMOVE and returns ALL_NEW', async () => {
      // Prepare
      fake.seed(TABLE, { targetKey: 'listener-1', phase: 'locked', bake: { taskToken: 't' }, note: 'x' });

      // Act
      const result = await client.send(
        new UpdateCommand({
          TableName: TABLE,
          Key: { targetKey: 'listener-1' },
          UpdateExpression: 'SET #phase = :phase, #weights = :weights REMOVE #bake, #note',
          ExpressionAttributeNames: { '#phase': 'phase', '#weights': 'lastWrittenWeights', '#bake': 'bake', '#note': 'note' },
          ExpressionAttributeValues: { ':phase': 'shifting', ':weights': { stable: 90, canary: 10 } },
          ReturnValues: 'ALL_NEW',
        }),
      );

      // Assess
      const expected = { targetKey: 'listener-1', phase: 'shifting', lastWrittenWeights: { stable: 90, canary: 10 } };
      expect(result.Attributes).toEqual(expected);
      expect(fake.items(TABLE)).toEqual([expected]);
    });

    it('returns ALL_OLD and creates a missing item from its key', async () => {
      // Act
      const result = await client.send(
        new UpdateCommand({
          TableName: TABLE,
          Key: { targetKey: 'listener-2' },
          UpdateExpression: 'SET #phase = :phase',
          ExpressionAttributeNames: { '#phase': 'phase' },
          ExpressionAttributeValues: { ':phase': 'locked' },
          ReturnValues: 'ALL_OLD',
        }),
      );

      // Assess
      expect(result.Attributes).toBeUndefined();
      expect(fake.items(TABLE)).toEqual([{ targetKey: 'listener-2', phase: 'locked' }]);
    });

    it('rejects an update of the key attribute and overlapping paths', async () => {
      // Prepare
      const update = (expression: string, names: Record<string, string>) =>
        client.send(
          new UpdateCommand({
            TableName: TABLE,
            Key: { targetKey: 'k' },
            UpdateExpression: expression,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: { ':v': 'x' },
          }),
        );

      // Act & Assess
      await expect(update('SET #k = :v', { '#k': 'targetKey' })).rejects.toThrow(/Cannot update attribute targetKey/);
      await expect(update('SET #a = :v REMOVE #a', { '#a': 'a' })).rejects.toThrow(/Two document paths overlap/);
    });
  });

  describe('validation like DynamoDB', () => {
    it.each([
      ['an unused value', 'attribute_exists(#p)', { '#p': 'phase' }, { ':unused': 1 }, /unused in expressions: keys: \{:unused\}/],
      ['an unused name', 'attribute_exists(#p)', { '#p': 'phase', '#q': 'q' }, undefined, /ExpressionAttributeNames unused in expressions: keys: \{#q\}/],
      ['an undefined value', '#p = :missing', { '#p': 'phase' }, undefined, /attribute value: :missing/],
      ['an undefined name', '#missing = :v', undefined, { ':v': 1 }, /attribute name: #missing/],
      ['a reserved word', 'status = :v', undefined, { ':v': 1 }, /reserved keyword: status/],
      ['a syntax error', '#p = = :v', { '#p': 'phase' }, { ':v': 1 }, /Syntax error; token: "="/],
      ['an unknown function', 'exists(#p)', { '#p': 'phase' }, undefined, /Invalid function name; function: exists/],
    ])('rejects %s with a ValidationException', async (_case, condition, names, values, message) => {
      // Act
      const put = client.send(
        new PutCommand({ TableName: TABLE, Item: { targetKey: 'k' }, ConditionExpression: condition, ExpressionAttributeNames: names, ExpressionAttributeValues: values }),
      );

      // Assess
      await expect(put).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringMatching(message) });
    });

    it('throws ResourceNotFoundException for an unknown table', async () => {
      // Act & Assess
      await expect(client.send(new GetCommand({ TableName: 'nope', Key: { targetKey: 'k' } }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    });

    it('rejects a key that does not match the schema', async () => {
      // Act & Assess
      await expect(client.send(new GetCommand({ TableName: TABLE, Key: { id: 'k' } }))).rejects.toThrow(/does not match the schema/);
    });

    it('fails on a nested undefined value unless the client removes them, like the real marshaller', async () => {
      // Prepare
      const lenient = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }), {
        marshallOptions: { removeUndefinedValues: true },
      });
      const item = { targetKey: 'k', bake: { taskToken: undefined, stepIndex: 1 } };

      // Act & Assess
      await expect(client.send(new PutCommand({ TableName: TABLE, Item: item }))).rejects.toThrow(/removeUndefinedValues/);
      await lenient.send(new PutCommand({ TableName: TABLE, Item: item }));
      expect(fake.items(TABLE)).toEqual([{ targetKey: 'k', bake: { stepIndex: 1 } }]);
    });
  });

  describe('unsupported syntax', () => {
    it.each([
      ['begins_with(#p, :v)', /function begins_with\(\)/],
      ['#p BETWEEN :v AND :v', /BETWEEN operator/],
      ['#p IN (:v)', /IN operator/],
      ['#p.inner = :v', /nested document paths/],
      ['size(#p) > :v', /function size\(\)/],
    ])('names what it does not support in %s', async (condition, message) => {
      // Act
      const put = client.send(
        new PutCommand({
          TableName: TABLE,
          Item: { targetKey: 'k' },
          ConditionExpression: condition,
          ExpressionAttributeNames: { '#p': 'phase' },
          ExpressionAttributeValues: { ':v': 'x' },
        }),
      );

      // Assess
      await expect(put).rejects.toThrow(message);
      await expect(put).rejects.toThrow(/FakeDynamoDb does not support/);
    });

    it('names the ADD clause and arithmetic in SET', async () => {
      // Prepare
      const update = (expression: string) =>
        client.send(
          new UpdateCommand({
            TableName: TABLE,
            Key: { targetKey: 'k' },
            UpdateExpression: expression,
            ExpressionAttributeNames: { '#n': 'n' },
            ExpressionAttributeValues: { ':one': 1 },
          }),
        );

      // Act & Assess
      await expect(update('ADD #n :one')).rejects.toThrow(/does not support the ADD clause/);
      await expect(update('SET #n = #n + :one')).rejects.toThrow(/does not support arithmetic/);
    });
  });

  describe('reads', () => {
    it('queries a global secondary index, and refuses consistent reads on it', async () => {
      // Prepare
      fake.seed(TABLE, { targetKey: 'listener-1', executionArn: 'exec-a' });
      fake.seed(TABLE, { targetKey: 'listener-2', executionArn: 'exec-b' });
      fake.seed(TABLE, { targetKey: 'listener-3' });
      const query = (consistent?: boolean) =>
        client.send(
          new QueryCommand({
            TableName: TABLE,
            IndexName: 'byExecution',
            KeyConditionExpression: '#e = :e',
            ExpressionAttributeNames: { '#e': 'executionArn' },
            ExpressionAttributeValues: { ':e': 'exec-b' },
            ConsistentRead: consistent,
          }),
        );

      // Act
      const result = await query();

      // Assess
      expect(result.Items).toEqual([{ targetKey: 'listener-2', executionArn: 'exec-b' }]);
      expect(result.Count).toBe(1);
      await expect(query(true)).rejects.toThrow(/Consistent reads are not supported on global secondary indexes/);
    });

    it('pages a scan with Limit and ExclusiveStartKey, counting items read before the filter', async () => {
      // Prepare
      for (const id of ['a', 'b', 'c', 'd']) fake.seed(TABLE, { targetKey: id, keep: id !== 'b' });
      const pages: Array<{ ids: string[]; scanned?: number; last?: Record<string, unknown> }> = [];
      let start: Record<string, unknown> | undefined;

      // Act
      do {
        const page = await client.send(
          new ScanCommand({ TableName: TABLE, Limit: 2, ExclusiveStartKey: start, FilterExpression: 'keep = :t', ExpressionAttributeValues: { ':t': true } }),
        );
        pages.push({ ids: (page.Items ?? []).map((item) => item.targetKey as string), scanned: page.ScannedCount, last: page.LastEvaluatedKey });
        start = page.LastEvaluatedKey;
      } while (start);

      // Assess: a full last page still carries LastEvaluatedKey, as in DynamoDB
      expect(pages).toEqual([
        { ids: ['a'], scanned: 2, last: { targetKey: 'b' } },
        { ids: ['c', 'd'], scanned: 2, last: { targetKey: 'd' } },
        { ids: [], scanned: 0, last: undefined },
      ]);
    });

    it('hands out deep copies, on the way in and out', async () => {
      // Prepare
      const item = { targetKey: 'k', weights: { stable: 100, canary: 0 } };
      await client.send(new PutCommand({ TableName: TABLE, Item: item }));
      item.weights.canary = 50;

      // Act
      const first = await client.send(new GetCommand({ TableName: TABLE, Key: { targetKey: 'k' } }));
      (first.Item!.weights as { canary: number }).canary = 99;
      const second = await client.send(new GetCommand({ TableName: TABLE, Key: { targetKey: 'k' } }));

      // Assess
      expect(second.Item).toEqual({ targetKey: 'k', weights: { stable: 100, canary: 0 } });
    });

    it('deletes conditionally and returns ALL_OLD', async () => {
      // Prepare
      fake.seed(TABLE, { targetKey: 'k', executionArn: 'exec-a' });

      // Act
      const wrongOwner = client.send(
        new DeleteCommand({ TableName: TABLE, Key: { targetKey: 'k' }, ConditionExpression: 'executionArn = :e', ExpressionAttributeValues: { ':e': 'exec-b' } }),
      );
      await expect(wrongOwner).rejects.toBeInstanceOf(ConditionalCheckFailedException);
      const result = await client.send(
        new DeleteCommand({
          TableName: TABLE,
          Key: { targetKey: 'k' },
          ConditionExpression: 'executionArn = :e',
          ExpressionAttributeValues: { ':e': 'exec-a' },
          ReturnValues: 'ALL_OLD',
        }),
      );

      // Assess
      expect(result.Attributes).toEqual({ targetKey: 'k', executionArn: 'exec-a' });
      expect(fake.items(TABLE)).toEqual([]);
    });
  });
});

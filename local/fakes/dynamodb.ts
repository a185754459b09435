/**
 * Stateful fake of DynamoDB behind the DOCUMENT client (`DynamoDBDocumentClient`). Items are kept
 * as AttributeValues and marshalled with the calling client's own `translateConfig`, so the fake
 * sees what DynamoDB would (an `undefined` nested value fails as it does in the real client) and
 * the ConditionalCheckFailedException carries `Item` in AttributeValue form, which is what the
 * document client really throws (it does not unmarshall errors).
 *
 * Expressions are tokenized and parsed, not pattern-matched. The supported subset is: `#name`
 * and `:value` placeholders; `=`, `<>`, `<`, `<=`, `>`, `>=`, `attribute_exists()`,
 * `attribute_not_exists()`, `AND`, `OR`, `NOT` and parentheses (NOT binds tighter than AND, AND
 * tighter than OR); `SET a = :v, b = c` and `REMOVE a, b`; top-level projections. Anything else
 * DynamoDB accepts throws an Error naming it, so no test silently relies on something ignored.
 */
import { ConditionalCheckFailedException, DynamoDBServiceException, ResourceNotFoundException, type AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  type DeleteCommandInput,
  type DeleteCommandOutput,
  type GetCommandInput,
  type GetCommandOutput,
  type PutCommandInput,
  type PutCommandOutput,
  type QueryCommandInput,
  type QueryCommandOutput,
  type ScanCommandInput,
  type ScanCommandOutput,
  type TranslateConfig,
  type UpdateCommandInput,
  type UpdateCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { convertToAttr, convertToNative, type NativeAttributeValue, type unmarshallOptions } from '@aws-sdk/util-dynamodb';
import { routeTable, serveFromFake, type FakeRoute, type Interception, type SdkClient } from './sdk-intercept';
import { copyData } from '../copy-data';

export type NativeItem = Record<string, NativeAttributeValue>;
type Item = Record<string, AttributeValue>;

export interface TableSpec {
  /** The partition key attribute (tables here have no sort key). */
  readonly partitionKey: string;
  /** Global secondary indexes: index name → its partition key attribute (all attributes projected). */
  readonly indexes?: Record<string, string>;
}

interface Table {
  readonly name: string;
  readonly partitionKey: string;
  readonly indexes: Map<string, string>;
  /** canonical key → item */
  readonly items: Map<string, Item>;
}

const OK = { $metadata: { httpStatusCode: 200 } } as const;
const FAILED = { $metadata: { httpStatusCode: 400 } } as const;

export class FakeDynamoDb {
  private readonly tables = new Map<string, Table>();

  /** Serves every DynamoDBDocumentClient (module-level ones included) from this fake, inside the SDK's middleware stack. */
  install(): Interception {
    return serveFromFake(DynamoDBDocumentClient, this.route());
  }

  /** The fake's answers by command, for a harness that serves the client itself (`installAwsFakes`). */
  route(): FakeRoute {
    return routeTable('FakeDynamoDb', {
      GetCommand: (input: GetCommandInput, client: SdkClient) => this.get(input, translateConfigOf(client)),
      PutCommand: (input: PutCommandInput, client: SdkClient) => this.put(input, translateConfigOf(client)),
      UpdateCommand: (input: UpdateCommandInput, client: SdkClient) => this.update(input, translateConfigOf(client)),
      DeleteCommand: (input: DeleteCommandInput, client: SdkClient) => this.delete(input, translateConfigOf(client)),
      QueryCommand: (input: QueryCommandInput, client: SdkClient) => this.query(input, translateConfigOf(client)),
      ScanCommand: (input: ScanCommandInput, client: SdkClient) => this.scan(input, translateConfigOf(client)),
    });
  }

  // ---- test hooks ---------------------------------------------------------------------------

  createTable(name: string, spec: TableSpec): void {
    if (this.tables.has(name)) throw new Error(`Table ${name} already exists`);
    this.tables.set(name, {
      name,
      partitionKey: spec.partitionKey,
      indexes: new Map(Object.entries(spec.indexes ?? {})),
      items: new Map(),
    });
  }

  /** Every item of the table (deep copies, unmarshalled), in key order. */
  items(tableName: string, options: unmarshallOptions = {}): NativeItem[] {
    const table = this.table(tableName);
    return sortedItems(table).map((item) => toNative(item, options));
  }

  /** Writes an item directly, bypassing conditions (setup for a test). */
  seed(tableName: string, item: NativeItem): void {
    const table = this.table(tableName);
    const marshalled = requiredMap(item, {}, 'item');
    validateItemKeys(table, marshalled);
    table.items.set(canonicalKey(marshalled[table.partitionKey]), marshalled);
  }

  // ---- commands -----------------------------------------------------------------------------

  get(input: GetCommandInput, translate: TranslateConfig = {}): GetCommandOutput {
    rejectLegacy(input, ['AttributesToGet']);
    const table = this.table(input.TableName);
    const key = this.key(table, input.Key, translate);
    const context = new ExpressionContext(input.ExpressionAttributeNames, undefined);
    const projection = parseOptional(input.ProjectionExpression, 'ProjectionExpression', context, (parser) => parser.parseProjection());
    context.assertAllUsed();
    const item = table.items.get(canonicalKey(key[table.partitionKey]));
    return { ...OK, ...(item && { Item: toNative(project(item, projection), translate.unmarshallOptions) }) };
  }

  put(input: PutCommandInput, translate: TranslateConfig = {}): PutCommandOutput {
    rejectLegacy(input, ['Expected', 'ConditionalOperator']);
    const table = this.table(input.TableName);
    const item = requiredMap(input.Item, translate, 'item');
    validateItemKeys(table, item);
    const returnValues = oneOf(input.ReturnValues, ['NONE', 'ALL_OLD'], 'ReturnValues');
    const context = new ExpressionContext(input.ExpressionAttributeNames, marshallMap(input.ExpressionAttributeValues, translate));
    const condition = parseOptional(input.ConditionExpression, 'ConditionExpression', context, (parser) => parser.parseCondition());
    context.assertAllUsed();
    const key = canonicalKey(item[table.partitionKey]);
    const old = table.items.get(key);
    checkCondition(condition, old, input.ReturnValuesOnConditionCheckFailure);
    table.items.set(key, copyData(item));
    return { ...OK, ...(returnValues === 'ALL_OLD' && old && { Attributes: toNative(old, translate.unmarshallOptions) }) };
  }

  update(input: UpdateCommandInput, translate: TranslateConfig = {}): UpdateCommandOutput {
    rejectLegacy(input, ['AttributeUpdates', 'Expected', 'ConditionalOperator']);
    const table = this.table(input.TableName);
    const key = this.key(table, input.Key, translate);
    const returnValues = oneOf(input.ReturnValues, ['NONE', 'ALL_OLD', 'UPDATED_OLD', 'ALL_NEW', 'UPDATED_NEW'], 'ReturnValues');
    const context = new ExpressionContext(input.ExpressionAttributeNames, marshallMap(input.ExpressionAttributeValues, translate));
    if (input.UpdateExpression === undefined) throw new Error('FakeDynamoDb needs an UpdateExpression');
    const actions = new ExpressionParser(input.UpdateExpression, 'UpdateExpression', context).parseUpdate();
    const condition = parseOptional(input.ConditionExpression, 'ConditionExpression', context, (parser) => parser.parseCondition());
    context.assertAllUsed();
    validateUpdateActions(table, actions);
    const canonical = canonicalKey(key[table.partitionKey]);
    const old = table.items.get(canonical);
    checkCondition(condition, old, input.ReturnValuesOnConditionCheckFailure);
    const next = applyUpdate(old ?? key, actions);
    validateItemKeys(table, next);
    table.items.set(canonical, next);
    const attributes = returnAttributes(returnValues, old, next, actions);
    return { ...OK, ...(attributes && { Attributes: toNative(attributes, translate.unmarshallOptions) }) };
  }

  delete(input: DeleteCommandInput, translate: TranslateConfig = {}): DeleteCommandOutput {
    rejectLegacy(input, ['Expected', 'ConditionalOperator']);
    const table = this.table(input.TableName);
    const key = this.key(table, input.Key, translate);
    const returnValues = oneOf(input.ReturnValues, ['NONE', 'ALL_OLD'], 'ReturnValues');
    const context = new ExpressionContext(input.ExpressionAttributeNames, marshallMap(input.ExpressionAttributeValues, translate));
    const condition = parseOptional(input.ConditionExpression, 'ConditionExpression', context, (parser) => parser.parseCondition());
    context.assertAllUsed();
    const canonical = canonicalKey(key[table.partitionKey]);
    const old = table.items.get(canonical);
    checkCondition(condition, old, input.ReturnValuesOnConditionCheckFailure);
    table.items.delete(canonical);
    return { ...OK, ...(returnValues === 'ALL_OLD' && old && { Attributes: toNative(old, translate.unmarshallOptions) }) };
  }

  query(input: QueryCommandInput, translate: TranslateConfig = {}): QueryCommandOutput {
    rejectLegacy(input, ['KeyConditions', 'QueryFilter', 'AttributesToGet', 'ConditionalOperator']);
    const table = this.table(input.TableName);
    const indexKey = this.indexKey(table, input.IndexName, input.ConsistentRead);
    const keyName = indexKey ?? table.partitionKey;
    if (input.KeyConditionExpression === undefined) {
      throw validation('Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.');
    }
    const context = new ExpressionContext(input.ExpressionAttributeNames, marshallMap(input.ExpressionAttributeValues, translate));
    const keyCondition = new ExpressionParser(input.KeyConditionExpression, 'KeyConditionExpression', context).parseCondition();
    const filter = parseOptional(input.FilterExpression, 'FilterExpression', context, (parser) => parser.parseCondition());
    const projection = parseOptional(input.ProjectionExpression, 'ProjectionExpression', context, (parser) => parser.parseProjection());
    context.assertAllUsed();
    const partition = partitionValue(keyCondition, keyName);
    if (filter && pathsOf(filter).includes(keyName)) {
      throw validation(`Filter Expression can only contain non-primary key attributes: Primary key attribute: ${keyName}`);
    }
    const candidates = sortedItems(table).filter((item) => item[keyName] !== undefined && equal(item[keyName], partition));
    return this.page(table, indexKey, candidates, input, filter, projection, translate);
  }

  scan(input: ScanCommandInput, translate: TranslateConfig = {}): ScanCommandOutput {
    rejectLegacy(input, ['ScanFilter', 'AttributesToGet', 'ConditionalOperator', 'Segment', 'TotalSegments']);
    const table = this.table(input.TableName);
    const indexKey = this.indexKey(table, input.IndexName, input.ConsistentRead);
    const context = new ExpressionContext(input.ExpressionAttributeNames, marshallMap(input.ExpressionAttributeValues, translate));
    const filter = parseOptional(input.FilterExpression, 'FilterExpression', context, (parser) => parser.parseCondition());
    const projection = parseOptional(input.ProjectionExpression, 'ProjectionExpression', context, (parser) => parser.parseProjection());
    context.assertAllUsed();
    // An index holds only the items that have its key attribute.
    const candidates = sortedItems(table).filter((item) => !indexKey || item[indexKey] !== undefined);
    return this.page(table, indexKey, candidates, input, filter, projection, translate);
  }

  // ---- internals ----------------------------------------------------------------------------

  private table(name: string | undefined): Table {
    const table = name === undefined ? undefined : this.tables.get(name);
    if (!table) throw new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: FAILED.$metadata });
    return table;
  }

  private key(table: Table, native: NativeItem | undefined, translate: TranslateConfig): Item {
    const key = requiredMap(native, translate, 'key');
    const names = Object.keys(key);
    if (names.length !== 1 || names[0] !== table.partitionKey || !isKeyType(key[table.partitionKey])) {
      throw validation('The provided key element does not match the schema');
    }
    return key;
  }

  private indexKey(table: Table, indexName: string | undefined, consistentRead: boolean | undefined): string | undefined {
    if (indexName === undefined) return undefined;
    const indexKey = table.indexes.get(indexName);
    if (indexKey === undefined) throw validation(`The table does not have the specified index: ${indexName}`);
    if (consistentRead) throw validation('Consistent reads are not supported on global secondary indexes');
    return indexKey;
  }

  /** Limit counts items read before the filter, and a full page always carries LastEvaluatedKey. */
  private page(
    table: Table,
    indexKey: string | undefined,
    candidates: Item[],
    input: QueryCommandInput | ScanCommandInput,
    filter: Condition | undefined,
    projection: string[] | undefined,
    translate: TranslateConfig,
  ): QueryCommandOutput & ScanCommandOutput {
    if (input.Limit !== undefined && (!Number.isInteger(input.Limit) || input.Limit < 1)) {
      throw validation(`1 validation error detected: Value '${input.Limit}' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1`);
    }
    const select = oneOf(input.Select, ['ALL_ATTRIBUTES', 'ALL_PROJECTED_ATTRIBUTES', 'SPECIFIC_ATTRIBUTES', 'COUNT'], 'Select');
    let remaining = candidates;
    if (input.ExclusiveStartKey !== undefined) {
      const start = requiredMap(input.ExclusiveStartKey, translate, 'exclusiveStartKey');
      const expected = indexKey ? [table.partitionKey, indexKey] : [table.partitionKey];
      const names = Object.keys(start).sort();
      if (names.length !== expected.length || !expected.every((name) => start[name] !== undefined && isKeyType(start[name]))) {
        throw validation('The provided starting key is invalid: The provided key element does not match the schema');
      }
      remaining = candidates.filter((item) => compareKeys(item[table.partitionKey], start[table.partitionKey]) > 0);
    }
    const evaluated = input.Limit !== undefined ? remaining.slice(0, input.Limit) : remaining;
    const matched = evaluated.filter((item) => !filter || evaluate(filter, item));
    const last = evaluated.at(-1);
    const lastEvaluatedKey =
      last && input.Limit !== undefined && evaluated.length === input.Limit
        ? toNative(pick(last, indexKey ? [table.partitionKey, indexKey] : [table.partitionKey]), translate.unmarshallOptions)
        : undefined;
    return {
      ...OK,
      ...(select !== 'COUNT' && { Items: matched.map((item) => toNative(project(item, projection), translate.unmarshallOptions)) }),
      Count: matched.length,
      ScannedCount: evaluated.length,
      ...(lastEvaluatedKey && { LastEvaluatedKey: lastEvaluatedKey }),
    };
  }
}

// ---- marshalling -----------------------------------------------------------------------------

function translateConfigOf(client: unknown): TranslateConfig {
  return (client as DynamoDBDocumentClient | undefined)?.config?.translateConfig ?? {};
}

/**
 * What the document client sends for a top-level map: each member converted with the client's
 * marshallOptions, top-level `undefined` (and function) members dropped.
 */
function marshallMap(native: NativeItem | undefined, translate: TranslateConfig): Item | undefined {
  if (native === undefined) return undefined;
  const options = { convertTopLevelContainer: true, ...translate.marshallOptions };
  const out: Item = {};
  for (const [name, value] of Object.entries(native)) {
    if (value === undefined || typeof value === 'function') continue;
    out[name] = convertToAttr(value, options);
  }
  return out;
}

function requiredMap(native: NativeItem | undefined, translate: TranslateConfig, member: string): Item {
  const map = marshallMap(native, translate);
  if (map === undefined) {
    throw validation(`1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`);
  }
  return map;
}

function toNative(item: Item, options: unmarshallOptions = {}): NativeItem {
  return Object.fromEntries(Object.entries(item).map(([name, value]) => [name, convertToNative(value, options)]));
}

// ---- AttributeValue semantics ----------------------------------------------------------------

type AttributeType = 'S' | 'N' | 'B' | 'SS' | 'NS' | 'BS' | 'M' | 'L' | 'NULL' | 'BOOL';

function typeOf(value: AttributeValue): AttributeType {
  if (value.S !== undefined) return 'S';
  if (value.N !== undefined) return 'N';
  if (value.B !== undefined) return 'B';
  if (value.SS !== undefined) return 'SS';
  if (value.NS !== undefined) return 'NS';
  if (value.BS !== undefined) return 'BS';
  if (value.M !== undefined) return 'M';
  if (value.L !== undefined) return 'L';
  if (value.NULL !== undefined) return 'NULL';
  if (value.BOOL !== undefined) return 'BOOL';
  throw new Error(`FakeDynamoDb cannot read the AttributeValue ${JSON.stringify(value)}`);
}

function isKeyType(value: AttributeValue | undefined): boolean {
  if (value === undefined) return false;
  const type = typeOf(value);
  if (type === 'S') return value.S !== '';
  if (type === 'B') return value.B!.length > 0;
  return type === 'N';
}

function equal(a: AttributeValue, b: AttributeValue): boolean {
  const type = typeOf(a);
  if (type !== typeOf(b)) return false;
  switch (type) {
    case 'S':
      return a.S === b.S;
    case 'N':
      return Number(a.N) === Number(b.N);
    case 'B':
      return Buffer.compare(Buffer.from(a.B!), Buffer.from(b.B!)) === 0;
    case 'BOOL':
      return a.BOOL === b.BOOL;
    case 'NULL':
      return true;
    case 'SS':
      return sameSet(a.SS!, b.SS!, (member) => member);
    case 'NS':
      return sameSet(a.NS!, b.NS!, (member) => String(Number(member)));
    case 'BS':
      return sameSet(a.BS!, b.BS!, (member) => Buffer.from(member).toString('base64'));
    case 'L':
      return a.L!.length === b.L!.length && a.L!.every((member, index) => equal(member, b.L![index]));
    case 'M': {
      const keys = Object.keys(a.M!);
      return keys.length === Object.keys(b.M!).length && keys.every((name) => b.M![name] !== undefined && equal(a.M![name], b.M![name]));
    }
  }
}

function sameSet<T>(a: T[], b: T[], canonical: (member: T) => string): boolean {
  const left = new Set(a.map(canonical));
  const right = new Set(b.map(canonical));
  return left.size === right.size && [...left].every((member) => right.has(member));
}

/** Numbers numerically, strings by UTF-8 bytes, binary by unsigned bytes; other types do not order. */
function order(a: AttributeValue, b: AttributeValue): number | undefined {
  const type = typeOf(a);
  if (type !== typeOf(b)) return undefined;
  switch (type) {
    case 'N':
      return Math.sign(Number(a.N) - Number(b.N));
    case 'S':
      return Buffer.compare(Buffer.from(a.S!, 'utf8'), Buffer.from(b.S!, 'utf8'));
    case 'B':
      return Buffer.compare(Buffer.from(a.B!), Buffer.from(b.B!));
    default:
      return undefined;
  }
}

function canonicalKey(value: AttributeValue): string {
  const type = typeOf(value);
  if (type === 'N') return `N:${Number(value.N)}`;
  if (type === 'B') return `B:${Buffer.from(value.B!).toString('base64')}`;
  return `${type}:${value.S}`;
}

function compareKeys(a: AttributeValue, b: AttributeValue): number {
  return order(a, b) ?? (typeOf(a) < typeOf(b) ? -1 : 1);
}

function sortedItems(table: Table): Item[] {
  return [...table.items.values()].sort((a, b) => compareKeys(a[table.partitionKey], b[table.partitionKey]));
}

function pick(item: Item, names: string[]): Item {
  return Object.fromEntries(names.filter((name) => item[name] !== undefined).map((name) => [name, item[name]]));
}

function project(item: Item, projection: string[] | undefined): Item {
  return copyData(projection ? pick(item, projection) : item);
}

function validateItemKeys(table: Table, item: Item): void {
  if (!isKeyType(item[table.partitionKey])) {
    throw validation(`One or more parameter values were invalid: Missing the key ${table.partitionKey} in the item`);
  }
  for (const indexKey of table.indexes.values()) {
    if (item[indexKey] !== undefined && !isKeyType(item[indexKey])) {
      throw validation(
        `One or more parameter values are not valid. A value specified for a secondary index key is not supported: ${indexKey}`,
      );
    }
  }
}

// ---- expressions ------------------------------------------------------------------------------

type ExpressionKind = 'ConditionExpression' | 'FilterExpression' | 'KeyConditionExpression' | 'UpdateExpression' | 'ProjectionExpression';
type Comparator = '=' | '<>' | '<' | '<=' | '>' | '>=';

type Operand = { readonly kind: 'path'; readonly name: string } | { readonly kind: 'value'; readonly value: AttributeValue };

type Condition =
  | { readonly kind: 'compare'; readonly op: Comparator; readonly left: Operand; readonly right: Operand }
  | { readonly kind: 'exists'; readonly path: string; readonly exists: boolean }
  | { readonly kind: 'and' | 'or'; readonly left: Condition; readonly right: Condition }
  | { readonly kind: 'not'; readonly operand: Condition };

type UpdateAction = { readonly kind: 'set'; readonly path: string; readonly value: Operand } | { readonly kind: 'remove'; readonly path: string };

interface Token {
  readonly kind: 'word' | 'name' | 'value' | 'number' | 'op' | 'punct' | 'end';
  readonly text: string;
  readonly at: number;
}

const TOKEN_PATTERNS: Array<[Token['kind'], RegExp]> = [
  ['name', /^#[A-Za-z0-9_]+/],
  ['value', /^:[A-Za-z0-9_]+/],
  ['word', /^[A-Za-z_][A-Za-z0-9_]*/],
  ['number', /^[0-9]+/],
  ['op', /^(<>|<=|>=|=|<|>)/],
  ['punct', /^[(),.[\]+-]/],
];

/** Functions DynamoDB knows; the fake implements only the two existence checks. */
const KNOWN_FUNCTIONS = new Set(['attribute_exists', 'attribute_not_exists', 'attribute_type', 'begins_with', 'contains', 'size', 'if_not_exists', 'list_append']);
const ORDERING: ReadonlySet<Comparator> = new Set<Comparator>(['<', '<=', '>', '>=']);

function tokenize(source: string, what: ExpressionKind): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  while (at < source.length) {
    if (/\s/.test(source[at])) {
      at += 1;
      continue;
    }
    const rest = source.slice(at);
    const found = TOKEN_PATTERNS.map(([kind, pattern]) => [kind, pattern.exec(rest)] as const).find(([, match]) => match);
    if (!found) {
      throw validation(`Invalid ${what}: Syntax error; token: "${source[at]}", near: "${near(source, at)}"`);
    }
    const [kind, match] = found;
    tokens.push({ kind, text: match![0], at });
    at += match![0].length;
  }
  tokens.push({ kind: 'end', text: '<EOF>', at: source.length });
  return tokens;
}

function near(source: string, at: number): string {
  return source.slice(Math.max(0, at - 8), at + 8);
}

/** Resolves placeholders and remembers which were used: DynamoDB rejects unused ones. */
class ExpressionContext {
  private readonly usedNames = new Set<string>();
  private readonly usedValues = new Set<string>();

  constructor(
    private readonly names: Record<string, string> | undefined,
    private readonly values: Item | undefined,
  ) {
    if (names && Object.keys(names).length === 0) throw validation('ExpressionAttributeNames must not be empty');
    if (values && Object.keys(values).length === 0) throw validation('ExpressionAttributeValues must not be empty');
  }

  name(placeholder: string, what: ExpressionKind): string {
    const name = this.names?.[placeholder];
    if (name === undefined) {
      throw validation(`Invalid ${what}: An expression attribute name used in the document path is not defined; attribute name: ${placeholder}`);
    }
    this.usedNames.add(placeholder);
    return name;
  }

  value(placeholder: string, what: ExpressionKind): AttributeValue {
    const value = this.values?.[placeholder];
    if (value === undefined) {
      throw validation(`Invalid ${what}: An expression attribute value used in expression is not defined; attribute value: ${placeholder}`);
    }
    this.usedValues.add(placeholder);
    return value;
  }

  assertAllUsed(): void {
    const unusedNames = Object.keys(this.names ?? {}).filter((name) => !this.usedNames.has(name));
    if (unusedNames.length > 0) {
      throw validation(`Value provided in ExpressionAttributeNames unused in expressions: keys: {${unusedNames.join(', ')}}`);
    }
    const unusedValues = Object.keys(this.values ?? {}).filter((value) => !this.usedValues.has(value));
    if (unusedValues.length > 0) {
      throw validation(`Value provided in ExpressionAttributeValues unused in expressions: keys: {${unusedValues.join(', ')}}`);
    }
  }
}

/**
 * Recursive descent, one function per precedence level:
 *   condition := or;  or := and (OR and)*;  and := not (AND not)*;  not := NOT not | primary
 *   primary   := '(' condition ')' | function '(' path ')' | operand comparator operand
 */
class ExpressionParser {
  private position = 0;
  private readonly tokens: Token[];

  constructor(
    private readonly source: string,
    private readonly what: ExpressionKind,
    private readonly context: ExpressionContext,
  ) {
    this.tokens = tokenize(source, what);
  }

  parseCondition(): Condition {
    const condition = this.or();
    this.expectEnd();
    return condition;
  }

  parseUpdate(): UpdateAction[] {
    const actions: UpdateAction[] = [];
    const clauses = new Set<string>();
    if (this.peek().kind === 'end') throw this.syntaxError(this.peek());
    while (this.peek().kind !== 'end') {
      const keyword = this.next();
      const clause = keyword.kind === 'word' ? keyword.text.toUpperCase() : '';
      if (clause === 'ADD' || clause === 'DELETE') throw this.unsupported(`the ${clause} clause`);
      if (clause !== 'SET' && clause !== 'REMOVE') throw this.syntaxError(keyword);
      if (clauses.has(clause)) {
        throw validation(`Invalid UpdateExpression: The "${clause}" section can only be used once in an update expression;`);
      }
      clauses.add(clause);
      do {
        const path = this.path();
        if (clause === 'SET') {
          const equals = this.next();
          if (equals.kind !== 'op' || equals.text !== '=') throw this.syntaxError(equals);
          actions.push({ kind: 'set', path, value: this.setValue() });
        } else {
          actions.push({ kind: 'remove', path });
        }
      } while (this.acceptPunct(','));
    }
    return actions;
  }

  parseProjection(): string[] {
    const paths = [this.path()];
    while (this.acceptPunct(',')) paths.push(this.path());
    this.expectEnd();
    return paths;
  }

  private or(): Condition {
    let left = this.and();
    while (this.acceptWord('OR')) left = { kind: 'or', left, right: this.and() };
    return left;
  }

  private and(): Condition {
    let left = this.not();
    while (this.acceptWord('AND')) left = { kind: 'and', left, right: this.not() };
    return left;
  }

  private not(): Condition {
    if (this.acceptWord('NOT')) return { kind: 'not', operand: this.not() };
    return this.primary();
  }

  private primary(): Condition {
    if (this.acceptPunct('(')) {
      const inner = this.or();
      this.expectPunct(')');
      return inner;
    }
    if (this.peek().kind === 'word' && this.isPunct(this.peek(1), '(')) return this.functionCondition();
    const left = this.operand();
    const operator = this.next();
    if (operator.kind === 'op') {
      const op = operator.text as Comparator;
      const right = this.operand();
      for (const operand of [left, right]) {
        if (ORDERING.has(op) && operand.kind === 'value' && !['S', 'N', 'B'].includes(typeOf(operand.value))) {
          throw validation(
            `Invalid ${this.what}: Incorrect operand type for operator or function; operator: ${op}, operand type: ${typeOf(operand.value)}`,
          );
        }
      }
      return { kind: 'compare', op, left, right };
    }
    if (operator.kind === 'word' && ['BETWEEN', 'IN'].includes(operator.text.toUpperCase())) {
      throw this.unsupported(`the ${operator.text.toUpperCase()} operator`);
    }
    throw this.syntaxError(operator);
  }

  private functionCondition(): Condition {
    const name = this.next().text;
    if (name === 'attribute_exists' || name === 'attribute_not_exists') {
      this.expectPunct('(');
      const path = this.path();
      this.expectPunct(')');
      return { kind: 'exists', path, exists: name === 'attribute_exists' };
    }
    throw this.unknownOrUnsupportedFunction(name);
  }

  private operand(): Operand {
    const token = this.peek();
    if (token.kind === 'value') {
      this.next();
      return { kind: 'value', value: this.context.value(token.text, this.what) };
    }
    if (token.kind === 'word' && this.isPunct(this.peek(1), '(')) throw this.unknownOrUnsupportedFunction(token.text);
    if (token.kind === 'word' || token.kind === 'name') return { kind: 'path', name: this.path() };
    throw this.syntaxError(token);
  }

  private setValue(): Operand {
    const value = this.operand();
    const after = this.peek();
    if (this.isPunct(after, '+') || this.isPunct(after, '-')) throw this.unsupported('arithmetic (+, -) in SET');
    return value;
  }

  private path(): string {
    const token = this.next();
    let name: string;
    if (token.kind === 'name') {
      name = this.context.name(token.text, this.what);
    } else if (token.kind === 'word') {
      if (RESERVED_WORDS.has(token.text.toUpperCase())) {
        throw validation(`Invalid ${this.what}: Attribute name is a reserved keyword; reserved keyword: ${token.text}`);
      }
      name = token.text;
    } else {
      throw this.syntaxError(token);
    }
    const after = this.peek();
    if (this.isPunct(after, '.') || this.isPunct(after, '[')) throw this.unsupported('nested document paths (a.b, a[0])');
    return name;
  }

  private unknownOrUnsupportedFunction(name: string): Error {
    if (KNOWN_FUNCTIONS.has(name)) return this.unsupported(`the function ${name}() here`);
    return validation(`Invalid ${this.what}: Invalid function name; function: ${name}`);
  }

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.position + offset, this.tokens.length - 1)];
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== 'end') this.position += 1;
    return token;
  }

  private isPunct(token: Token, text: string): boolean {
    return token.kind === 'punct' && token.text === text;
  }

  private acceptPunct(text: string): boolean {
    if (!this.isPunct(this.peek(), text)) return false;
    this.next();
    return true;
  }

  private acceptWord(word: string): boolean {
    const token = this.peek();
    if (token.kind !== 'word' || token.text.toUpperCase() !== word) return false;
    this.next();
    return true;
  }

  private expectPunct(text: string): void {
    const token = this.next();
    if (!this.isPunct(token, text)) throw this.syntaxError(token);
  }

  private expectEnd(): void {
    const token = this.peek();
    if (token.kind !== 'end') throw this.syntaxError(token);
  }

  private syntaxError(token: Token): DynamoDBServiceException {
    return validation(`Invalid ${this.what}: Syntax error; token: "${token.text}", near: "${near(this.source, token.at)}"`);
  }

  private unsupported(feature: string): Error {
    return new Error(`FakeDynamoDb does not support ${feature} (${this.what}: "${this.source}")`);
  }
}

function parseOptional<T>(
  source: string | undefined,
  what: ExpressionKind,
  context: ExpressionContext,
  parse: (parser: ExpressionParser) => T,
): T | undefined {
  return source === undefined ? undefined : parse(new ExpressionParser(source, what, context));
}

function resolve(operand: Operand, item: Item): AttributeValue | undefined {
  return operand.kind === 'value' ? operand.value : item[operand.name];
}

function evaluate(condition: Condition, item: Item): boolean {
  switch (condition.kind) {
    case 'and':
      return evaluate(condition.left, item) && evaluate(condition.right, item);
    case 'or':
      return evaluate(condition.left, item) || evaluate(condition.right, item);
    case 'not':
      return !evaluate(condition.operand, item);
    case 'exists':
      return (item[condition.path] !== undefined) === condition.exists;
    case 'compare':
      return compare(condition.op, resolve(condition.left, item), resolve(condition.right, item));
  }
}

/** A missing attribute equals nothing and orders with nothing, so only `<>` holds for it. */
function compare(op: Comparator, left: AttributeValue | undefined, right: AttributeValue | undefined): boolean {
  if (left === undefined || right === undefined) return op === '<>';
  if (op === '=') return equal(left, right);
  if (op === '<>') return !equal(left, right);
  const sign = order(left, right);
  if (sign === undefined) return false;
  switch (op) {
    case '<':
      return sign < 0;
    case '<=':
      return sign <= 0;
    case '>':
      return sign > 0;
    case '>=':
      return sign >= 0;
  }
}

function pathsOf(condition: Condition): string[] {
  switch (condition.kind) {
    case 'and':
    case 'or':
      return [...pathsOf(condition.left), ...pathsOf(condition.right)];
    case 'not':
      return pathsOf(condition.operand);
    case 'exists':
      return [condition.path];
    case 'compare':
      return [condition.left, condition.right].flatMap((operand) => (operand.kind === 'path' ? [operand.name] : []));
  }
}

/** Tables here have only a partition key, so a key condition is exactly `key = :value`. */
function partitionValue(condition: Condition, keyName: string): AttributeValue {
  if (condition.kind === 'compare' && condition.op === '=') {
    const { left, right } = condition;
    const [path, value] = left.kind === 'path' ? [left, right] : [right, left];
    if (path.kind === 'path' && value.kind === 'value') {
      if (path.name !== keyName) throw validation(`Query condition missed key schema element: ${keyName}`);
      return value.value;
    }
  }
  if (condition.kind === 'and' || (condition.kind === 'compare' && condition.op !== '=')) {
    throw new Error(`FakeDynamoDb supports only "${keyName} = :value" as a key condition (its tables have no sort key)`);
  }
  throw validation('Query key condition not supported');
}

function checkCondition(condition: Condition | undefined, old: Item | undefined, onFailure: string | undefined): void {
  oneOf(onFailure, ['NONE', 'ALL_OLD'], 'returnValuesOnConditionCheckFailure');
  if (!condition || evaluate(condition, old ?? {})) return;
  throw new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: FAILED.$metadata,
    ...(onFailure === 'ALL_OLD' && old && { Item: copyData(old) }),
  });
}

function validateUpdateActions(table: Table, actions: UpdateAction[]): void {
  const seen = new Set<string>();
  for (const action of actions) {
    if (action.path === table.partitionKey) {
      throw validation(`One or more parameter values were invalid: Cannot update attribute ${action.path}. This attribute is part of the key`);
    }
    if (seen.has(action.path)) {
      throw validation(
        `Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [${action.path}], path two: [${action.path}]`,
      );
    }
    seen.add(action.path);
  }
}

/**
 * Every operand reads the item as it was before the update, as in DynamoDB. An update sets and
 * removes top-level attributes only, and no stored item is changed in place (what comes in is a
 * copy, what goes out is a copy): the new version shares the attributes it leaves alone with the old.
 */
function applyUpdate(before: Item, actions: UpdateAction[]): Item {
  const after = { ...before };
  for (const action of actions) {
    if (action.kind === 'remove') {
      delete after[action.path];
      continue;
    }
    const value = resolve(action.value, before);
    if (value === undefined) throw validation('The provided expression refers to an attribute that does not exist in the item');
    after[action.path] = copyData(value);
  }
  return after;
}

function returnAttributes(returnValues: string | undefined, old: Item | undefined, next: Item, actions: UpdateAction[]): Item | undefined {
  const touched = actions.map((action) => action.path);
  switch (returnValues) {
    case 'ALL_OLD':
      return old;
    case 'ALL_NEW':
      return next;
    case 'UPDATED_OLD':
      return old && nonEmpty(pick(old, touched));
    case 'UPDATED_NEW':
      return nonEmpty(pick(next, actions.filter((action) => action.kind === 'set').map((action) => action.path)));
    default:
      return undefined;
  }
}

function nonEmpty(item: Item): Item | undefined {
  return Object.keys(item).length > 0 ? item : undefined;
}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], member: string): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw validation(`1 validation error detected: Value '${value}' at '${member}' failed to satisfy constraint: Member must satisfy enum value set: [${allowed.join(', ')}]`);
  }
  return value as T;
}

function rejectLegacy(input: object, members: string[]): void {
  const used = members.filter((member) => (input as Record<string, unknown>)[member] !== undefined);
  if (used.length > 0) throw new Error(`FakeDynamoDb does not support the legacy or unused parameters ${used.join(', ')}`);
}

function validation(message: string): DynamoDBServiceException {
  return new DynamoDBServiceException({ name: 'ValidationException', $fault: 'client', message, $metadata: FAILED.$metadata });
}

/** DynamoDB's reserved words: a bare attribute name in an expression must not be one of them. */
const RESERVED_WORDS: ReadonlySet<string> = new Set(
  `ABORT ABSOLUTE ACTION ADD AFTER AGENT AGGREGATE ALL ALLOCATE ALTER ANALYZE AND ANY ARCHIVE ARE ARRAY AS ASC ASCII
  ASENSITIVE ASSERTION ASYMMETRIC AT ATOMIC ATTACH ATTRIBUTE AUTH AUTHORIZATION AUTHORIZE AUTO AVG BACK BACKUP BASE BATCH
  BEFORE BEGIN BETWEEN BIGINT BINARY BIT BLOB BLOCK BOOLEAN BOTH BREADTH BUCKET BULK BY BYTE CALL CALLED CALLING CAPACITY
  CASCADE CASCADED CASE CAST CATALOG CHAR CHARACTER CHECK CLASS CLOB CLOSE CLUSTER CLUSTERED CLUSTERING CLUSTERS COALESCE
  COLLATE COLLATION COLLECTION COLUMN COLUMNS COMBINE COMMENT COMMIT COMPACT COMPILE COMPRESS CONDITION CONFLICT CONNECT
  CONNECTION CONSISTENCY CONSISTENT CONSTRAINT CONSTRAINTS CONSTRUCTOR CONSUMED CONTINUE CONVERT COPY CORRESPONDING COUNT
  COUNTER CREATE CROSS CUBE CURRENT CURSOR CYCLE DATA DATABASE DATE DATETIME DAY DEALLOCATE DEC DECIMAL DECLARE DEFAULT
  DEFERRABLE DEFERRED DEFINE DEFINED DEFINITION DELETE DELIMITED DEPTH DEREF DESC DESCRIBE DESCRIPTOR DETACH DETERMINISTIC
  DIAGNOSTICS DIRECTORIES DISABLE DISCONNECT DISTINCT DISTRIBUTE DO DOMAIN DOUBLE DROP DUMP DURATION DYNAMIC EACH ELEMENT
  ELSE ELSEIF EMPTY ENABLE END EQUAL EQUALS ERROR ESCAPE ESCAPED EVAL EVALUATE EXCEEDED EXCEPT EXCEPTION EXCEPTIONS
  EXCLUSIVE EXEC EXECUTE EXISTS EXIT EXPLAIN EXPLODE EXPORT EXPRESSION EXTENDED EXTERNAL EXTRACT FAIL FALSE FAMILY FETCH
  FIELDS FILE FILTER FILTERING FINAL FINISH FIRST FIXED FLATTERN FLOAT FOR FORCE FOREIGN FORMAT FORWARD FOUND FREE FROM
  FULL FUNCTION FUNCTIONS GENERAL GENERATE GET GLOB GLOBAL GO GOTO GRANT GREATER GROUP GROUPING HANDLER HASH HAVE HAVING
  HEAP HIDDEN HOLD HOUR IDENTIFIED IDENTITY IF IGNORE IMMEDIATE IMPORT IN INCLUDING INCLUSIVE INCREMENT INCREMENTAL INDEX
  INDEXED INDEXES INDICATOR INFINITE INITIALLY INLINE INNER INNTER INOUT INPUT INSENSITIVE INSERT INSTEAD INT INTEGER
  INTERSECT INTERVAL INTO INVALIDATE IS ISOLATION ITEM ITEMS ITERATE JOIN KEY KEYS LAG LANGUAGE LARGE LAST LATERAL LEAD
  LEADING LEAVE LEFT LENGTH LESS LEVEL LIKE LIMIT LIMITED LINES LIST LOAD LOCAL LOCALTIME LOCALTIMESTAMP LOCATION LOCATOR
  LOCK LOCKS LOG LOGED LONG LOOP LOWER MAP MATCH MATERIALIZED MAX MAXLEN MEMBER MERGE METHOD METRICS MIN MINUS MINUTE
  MISSING MOD MODE MODIFIES MODIFY MODULE MONTH MULTI MULTISET NAME NAMES NATIONAL NATURAL NCHAR NCLOB NEW NEXT NO NONE
  NOT NULL NULLIF NUMBER NUMERIC OBJECT OF OFFLINE OFFSET OLD ON ONLINE ONLY OPAQUE OPEN OPERATOR OPTION OR ORDER
  ORDINALITY OTHER OTHERS OUT OUTER OUTPUT OVER OVERLAPS OVERRIDE OWNER PAD PARALLEL PARAMETER PARAMETERS PARTIAL
  PARTITION PARTITIONED PARTITIONS PATH PERCENT PERCENTILE PERMISSION PERMISSIONS PIPE PIPELINED PLAN POOL POSITION
  PRECISION PREPARE PRESERVE PRIMARY PRIOR PRIVATE PRIVILEGES PROCEDURE PROCESSED PROJECT PROJECTION PROPERTY
  PROVISIONING PUBLIC PUT QUERY QUIT QUORUM RAISE RANDOM RANGE RANK RAW READ READS REAL REBUILD RECORD RECURSIVE REDUCE
  REF REFERENCE REFERENCES REFERENCING REGEXP REGION REINDEX RELATIVE RELEASE REMAINDER RENAME REPEAT REPLACE REQUEST
  RESET RESIGNAL RESOURCE RESPONSE RESTORE RESTRICT RESULT RETURN RETURNING RETURNS REVERSE REVOKE RIGHT ROLE ROLES
  ROLLBACK ROLLUP ROUTINE ROW ROWS RULE RULES SAMPLE SATISFIES SAVE SAVEPOINT SCAN SCHEMA SCOPE SCROLL SEARCH SECOND
  SECTION SEGMENT SEGMENTS SELECT SELF SEMI SENSITIVE SEPARATE SEQUENCE SERIALIZABLE SESSION SET SETS SHARD SHARE SHARED
  SHORT SHOW SIGNAL SIMILAR SIZE SKEWED SMALLINT SNAPSHOT SOME SOURCE SPACE SPACES SPARSE SPECIFIC SPECIFICTYPE SPLIT SQL
  SQLCODE SQLERROR SQLEXCEPTION SQLSTATE SQLWARNING START STATE STATIC STATUS STORAGE STORE STORED STREAM STRING STRUCT
  STYLE SUB SUBMULTISET SUBPARTITION SUBSTRING SUBTYPE SUM SUPER SYMMETRIC SYNONYM SYSTEM TABLE TABLESAMPLE TEMP TEMPORARY
  TERMINATED TEXT THAN THEN THROUGHPUT TIME TIMESTAMP TIMEZONE TINYINT TO TOKEN TOTAL TOUCH TRAILING TRANSACTION TRANSFORM
  TRANSLATE TRANSLATION TREAT TRIGGER TRIM TRUE TRUNCATE TTL TUPLE TYPE UNDER UNDO UNION UNIQUE UNIT UNKNOWN UNLOGGED
  UNNEST UNPROCESSED UNSIGNED UNTIL UPDATE UPPER URL USAGE USE USER USERS USING UUID VACUUM VALUE VALUED VALUES VARCHAR
  VARIABLE VARIANCE VARINT VARYING VIEW VIEWS VIRTUAL VOID WAIT WHEN WHENEVER WHERE WHILE WINDOW WITH WITHIN WITHOUT WORK
  WRAPPED WRITE YEAR ZONE`.split(/\s+/),
);

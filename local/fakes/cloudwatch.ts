/**
 * Stateful fake of the CloudWatch alarm reads serinus makes, plus the EventBridge "CloudWatch
 * Alarm State Change" events an alarm emits. Shapes follow the real service, including its traps:
 * DescribeAlarms and DescribeAlarmHistory return only metric alarms unless `AlarmTypes` asks for
 * composite ones, missing alarm names are silently absent, and history holds configuration items
 * next to state updates.
 */
import { randomUUID } from 'node:crypto';
import {
  CloudWatchClient,
  InvalidNextToken,
  InvalidParameterCombinationException,
  InvalidParameterValueException,
  type AlarmHistoryItem,
  type AlarmType,
  type CompositeAlarm,
  type DescribeAlarmHistoryCommandInput,
  type DescribeAlarmHistoryCommandOutput,
  type DescribeAlarmsCommandInput,
  type DescribeAlarmsCommandOutput,
  type MetricAlarm,
  type StateValue,
} from '@aws-sdk/client-cloudwatch';
import { routeTable, serveFromFake, type FakeRoute, type Interception } from './sdk-intercept';
import type { EventBridgeEvent } from 'aws-lambda';
import { copyData } from '../copy-data';

export type AlarmKind = 'metric' | 'composite';

export interface FakeMetric {
  readonly namespace: string;
  readonly name: string;
  readonly dimensions?: Record<string, string>;
  readonly stat?: string;
  readonly periodSeconds?: number;
}

export interface FakeAlarmOptions {
  /** @default 'metric' */
  readonly type?: AlarmKind;
  /**
   * The state after creation. A real alarm starts in INSUFFICIENT_DATA and then transitions, so
   * any other state is recorded as that first transition.
   * @default 'OK'
   */
  readonly state?: StateValue;
  readonly reason?: string;
  readonly description?: string;
  /** Composite alarms only. @default 'FALSE' */
  readonly alarmRule?: string;
  /** Metric alarms only. @default - an ALB 5XX count on AWS/ApplicationELB */
  readonly metric?: FakeMetric;
  /** When the alarm was created. @default - now */
  readonly at?: Date;
}

export interface SetStateOptions {
  /** Set false to simulate a lost or late EventBridge delivery. @default true */
  readonly emitEvent?: boolean;
  /** JSON text, as CloudWatch puts in StateReasonData. */
  readonly reasonData?: string;
  /** @default - now */
  readonly at?: Date;
}

export interface AlarmStateDetailState {
  readonly value: StateValue;
  readonly reason: string;
  readonly reasonData?: string;
  /** CloudWatch's own format: `2019-10-01T13:56:40.987+0000`. */
  readonly timestamp: string;
}

export interface AlarmStateChangeDetail {
  readonly alarmName: string;
  readonly state: AlarmStateDetailState;
  readonly previousState: AlarmStateDetailState;
  readonly configuration: Record<string, unknown>;
}

/** The event exactly as EventBridge delivers it to a rule target. */
export type AlarmStateChangeEvent = EventBridgeEvent<'CloudWatch Alarm State Change', AlarmStateChangeDetail>;

export interface FakeCloudWatchOptions {
  /** @default - the system clock */
  readonly now?: () => Date;
  readonly region?: string;
  readonly accountId?: string;
}

interface AlarmRecord {
  readonly name: string;
  readonly kind: AlarmKind;
  state: StateValue;
  reason: string;
  reasonData?: string;
  /** Both StateUpdatedTimestamp and StateTransitionedTimestamp: the fake updates a state only by a transition. */
  updatedAt: Date;
  readonly configuredAt: Date;
  readonly description?: string;
  readonly alarmRule?: string;
  readonly metric?: FakeMetric;
}

const OK = { $metadata: { httpStatusCode: 200 } } as const;
const FAILED = { $metadata: { httpStatusCode: 400 } } as const;
const DEFAULT_METRIC: FakeMetric = {
  namespace: 'AWS/ApplicationELB',
  name: 'HTTPCode_Target_5XX_Count',
  stat: 'Sum',
  periodSeconds: 60,
};

export class FakeCloudWatch {
  private readonly alarms = new Map<string, AlarmRecord>();
  private readonly historyItems: AlarmHistoryItem[] = [];
  private readonly listeners = new Set<(event: AlarmStateChangeEvent) => unknown>();
  private readonly now: () => Date;
  private readonly region: string;
  private readonly accountId: string;

  constructor(options: FakeCloudWatchOptions = {}) {
    this.now = options.now ?? (() => new Date());
    this.region = options.region ?? 'eu-west-1';
    this.accountId = options.accountId ?? '123456789012';
  }

  /** Serves every CloudWatchClient (module-level ones included) from this fake, inside the SDK's middleware stack. */
  install(): Interception {
    return serveFromFake(CloudWatchClient, this.route());
  }

  /** The fake's answers by command, for a harness that serves the client itself (`installAwsFakes`). */
  route(): FakeRoute {
    return routeTable('FakeCloudWatch', {
      DescribeAlarmsCommand: (input: DescribeAlarmsCommandInput) => this.describeAlarms(input),
      DescribeAlarmHistoryCommand: (input: DescribeAlarmHistoryCommandInput) => this.describeAlarmHistory(input),
    });
  }

  // ---- test hooks ---------------------------------------------------------------------------

  addAlarm(name: string, options: FakeAlarmOptions = {}): void {
    if (this.alarms.has(name)) throw new Error(`Alarm ${name} already exists`);
    const at = options.at ?? this.now();
    const kind = options.type ?? 'metric';
    const alarm: AlarmRecord = {
      name,
      kind,
      state: 'INSUFFICIENT_DATA',
      reason: 'Unchecked: Initial alarm creation',
      updatedAt: at,
      configuredAt: at,
      description: options.description,
      ...(kind === 'composite' ? { alarmRule: options.alarmRule ?? 'FALSE' } : { metric: options.metric ?? DEFAULT_METRIC }),
    };
    this.alarms.set(name, alarm);
    this.historyItems.push({
      AlarmName: name,
      AlarmType: alarmType(alarm),
      Timestamp: new Date(at),
      HistoryItemType: 'ConfigurationUpdate',
      HistorySummary: `Alarm "${name}" created`,
      HistoryData: JSON.stringify({ type: 'Create', version: '1.0', createdAlarm: { alarmName: name, alarmArn: this.alarmArn(name) } }),
    });
    const state = options.state ?? 'OK';
    if (state !== 'INSUFFICIENT_DATA') {
      this.transition(alarm, state, options.reason ?? `Initial state ${state} set by the test`, undefined, at);
    } else if (options.reason !== undefined) {
      alarm.reason = options.reason;
    }
  }

  /**
   * Changes the alarm's state. A real change records a StateUpdate history item and, unless
   * `emitEvent` is false, delivers the EventBridge event to every listener (awaited, in order).
   * Setting the current state again only updates the reason: CloudWatch emits on transitions.
   */
  async setState(name: string, state: StateValue, reason: string, options: SetStateOptions = {}): Promise<void> {
    const alarm = this.alarms.get(name);
    if (!alarm) throw new Error(`No alarm ${name}`);
    if (alarm.state === state) {
      alarm.reason = reason;
      alarm.reasonData = options.reasonData;
      return;
    }
    const event = this.transition(alarm, state, reason, options.reasonData, options.at ?? this.now());
    if (options.emitEvent === false) return;
    for (const listener of this.listeners) {
      await listener(copyData(event));
    }
  }

  /** Subscribes to alarm state change events, like an EventBridge rule. @returns unsubscribe */
  onAlarmEvent(listener: (event: AlarmStateChangeEvent) => unknown): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  alarmArn(name: string): string {
    return `arn:aws:cloudwatch:${this.region}:${this.accountId}:alarm:${name}`;
  }

  /** Every history item of the alarm, oldest first. */
  history(name?: string): AlarmHistoryItem[] {
    return this.historyItems.filter((item) => name === undefined || item.AlarmName === name).map(cloneHistoryItem);
  }

  // ---- commands -----------------------------------------------------------------------------

  describeAlarms(input: DescribeAlarmsCommandInput): DescribeAlarmsCommandOutput {
    if (input.AlarmNames !== undefined && input.AlarmNamePrefix !== undefined) {
      throw new InvalidParameterCombinationException({
        message: 'AlarmNames and AlarmNamePrefix cannot be specified together',
        $metadata: FAILED.$metadata,
      });
    }
    if ((input.AlarmNames?.length ?? 0) > 100) {
      throw invalidValue('The collection AlarmNames must not have a size greater than 100.');
    }
    if (input.ChildrenOfAlarmName !== undefined || input.ParentsOfAlarmName !== undefined || input.ActionPrefix !== undefined) {
      throw new Error('FakeCloudWatch does not support ChildrenOfAlarmName, ParentsOfAlarmName or ActionPrefix');
    }
    const pageSize = maxRecords(input.MaxRecords, 50);
    const types = input.AlarmTypes ?? ['MetricAlarm'];
    const names = input.AlarmNames && new Set(input.AlarmNames);
    const matching = [...this.alarms.values()]
      .filter((alarm) => types.includes(alarmType(alarm)))
      .filter((alarm) => !names || names.has(alarm.name))
      .filter((alarm) => input.AlarmNamePrefix === undefined || alarm.name.startsWith(input.AlarmNamePrefix))
      .filter((alarm) => input.StateValue === undefined || alarm.state === input.StateValue)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const { page, nextToken } = paginate(matching, input.NextToken, pageSize);
    return {
      ...OK,
      ...(types.includes('MetricAlarm') && {
        MetricAlarms: page.filter((alarm) => alarm.kind === 'metric').map((alarm) => this.metricAlarm(alarm)),
      }),
      ...(types.includes('CompositeAlarm') && {
        CompositeAlarms: page.filter((alarm) => alarm.kind === 'composite').map((alarm) => this.compositeAlarm(alarm)),
      }),
      ...(nextToken && { NextToken: nextToken }),
    };
  }

  describeAlarmHistory(input: DescribeAlarmHistoryCommandInput): DescribeAlarmHistoryCommandOutput {
    const pageSize = maxRecords(input.MaxRecords, 100);
    const types: AlarmType[] = input.AlarmTypes ?? ['MetricAlarm'];
    const start = input.StartDate?.getTime() ?? -Infinity;
    const end = input.EndDate?.getTime() ?? Infinity;
    const matching = this.historyItems.filter((item) => {
      const at = item.Timestamp!.getTime();
      return (
        (input.AlarmName === undefined || item.AlarmName === input.AlarmName) &&
        types.includes(item.AlarmType!) &&
        (input.HistoryItemType === undefined || item.HistoryItemType === input.HistoryItemType) &&
        at >= start &&
        at <= end
      );
    });
    // The store is oldest first; a stable sort keeps same-millisecond items in the order they happened.
    const ordered = [...matching].sort((a, b) => a.Timestamp!.getTime() - b.Timestamp!.getTime());
    if ((input.ScanBy ?? 'TimestampDescending') === 'TimestampDescending') ordered.reverse();
    const { page, nextToken } = paginate(ordered, input.NextToken, pageSize);
    return { ...OK, AlarmHistoryItems: page.map(cloneHistoryItem), ...(nextToken && { NextToken: nextToken }) };
  }

  // ---- internals ----------------------------------------------------------------------------

  private transition(
    alarm: AlarmRecord,
    state: StateValue,
    reason: string,
    reasonData: string | undefined,
    at: Date,
  ): AlarmStateChangeEvent {
    const previous: AlarmStateDetailState = {
      value: alarm.state,
      reason: alarm.reason,
      ...(alarm.reasonData !== undefined && { reasonData: alarm.reasonData }),
      timestamp: cloudWatchTimestamp(alarm.updatedAt),
    };
    const oldState = { stateValue: alarm.state, stateReason: alarm.reason, ...reasonDataField(alarm.reasonData) };
    alarm.state = state;
    alarm.reason = reason;
    alarm.reasonData = reasonData;
    alarm.updatedAt = at;
    this.historyItems.push({
      AlarmName: alarm.name,
      AlarmType: alarmType(alarm),
      Timestamp: new Date(at),
      HistoryItemType: 'StateUpdate',
      HistorySummary: `Alarm updated from ${previous.value} to ${state}`,
      HistoryData: JSON.stringify({
        version: '1.0',
        oldState,
        newState: { stateValue: state, stateReason: reason, ...reasonDataField(reasonData) },
      }),
    });
    return {
      version: '0',
      id: randomUUID(),
      'detail-type': 'CloudWatch Alarm State Change',
      source: 'aws.cloudwatch',
      account: this.accountId,
      time: at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: this.region,
      resources: [this.alarmArn(alarm.name)],
      detail: {
        alarmName: alarm.name,
        state: { value: state, reason, ...(reasonData !== undefined && { reasonData }), timestamp: cloudWatchTimestamp(at) },
        previousState: previous,
        configuration: this.eventConfiguration(alarm),
      },
    };
  }

  private eventConfiguration(alarm: AlarmRecord): Record<string, unknown> {
    const description = alarm.description !== undefined ? { description: alarm.description } : {};
    if (alarm.kind === 'composite') {
      return { alarmRule: alarm.alarmRule, ...description };
    }
    const metric = alarm.metric!;
    return {
      ...description,
      metrics: [
        {
          id: randomUUID(),
          metricStat: {
            metric: { dimensions: metric.dimensions ?? {}, name: metric.name, namespace: metric.namespace },
            period: metric.periodSeconds ?? 60,
            stat: metric.stat ?? 'Sum',
          },
          returnData: true,
        },
      ],
    };
  }

  private metricAlarm(alarm: AlarmRecord): MetricAlarm {
    const metric = alarm.metric!;
    return {
      ...this.alarmFields(alarm),
      MetricName: metric.name,
      Namespace: metric.namespace,
      Statistic: (metric.stat ?? 'Sum') as MetricAlarm['Statistic'],
      Dimensions: Object.entries(metric.dimensions ?? {}).map(([Name, Value]) => ({ Name, Value })),
      Period: metric.periodSeconds ?? 60,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    };
  }

  private compositeAlarm(alarm: AlarmRecord): CompositeAlarm {
    return { ...this.alarmFields(alarm), AlarmRule: alarm.alarmRule };
  }

  /** What DescribeAlarms returns for metric and composite alarms alike. */
  private alarmFields(alarm: AlarmRecord) {
    return {
      AlarmName: alarm.name,
      AlarmArn: this.alarmArn(alarm.name),
      ...(alarm.description !== undefined && { AlarmDescription: alarm.description }),
      AlarmConfigurationUpdatedTimestamp: new Date(alarm.configuredAt),
      ActionsEnabled: true,
      OKActions: [],
      AlarmActions: [],
      InsufficientDataActions: [],
      StateValue: alarm.state,
      StateReason: alarm.reason,
      ...(alarm.reasonData !== undefined && { StateReasonData: alarm.reasonData }),
      StateUpdatedTimestamp: new Date(alarm.updatedAt),
      StateTransitionedTimestamp: new Date(alarm.updatedAt),
    };
  }
}

function alarmType(alarm: AlarmRecord): AlarmType {
  return alarm.kind === 'composite' ? 'CompositeAlarm' : 'MetricAlarm';
}

/** In HistoryData the reason data is embedded as an object, not as JSON text. */
function reasonDataField(reasonData: string | undefined): { stateReasonData?: unknown } {
  return reasonData === undefined ? {} : { stateReasonData: JSON.parse(reasonData) as unknown };
}

function cloudWatchTimestamp(at: Date): string {
  return at.toISOString().replace('Z', '+0000');
}

function cloneHistoryItem(item: AlarmHistoryItem): AlarmHistoryItem {
  return { ...item, Timestamp: new Date(item.Timestamp!) };
}

function maxRecords(value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1 || value > 100) {
    throw invalidValue(`The parameter MaxRecords must be between 1 and 100, got ${value}.`);
  }
  return value;
}

function invalidValue(message: string): InvalidParameterValueException {
  return new InvalidParameterValueException({ message, $metadata: FAILED.$metadata });
}

/** Tokens are opaque to callers; here they carry the offset of the next page. */
function paginate<T>(items: T[], token: string | undefined, pageSize: number): { page: T[]; nextToken?: string } {
  let offset = 0;
  if (token !== undefined) {
    const decoded = /^fake-cw:(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
    if (!decoded) throw new InvalidNextToken({ message: 'The service cannot parse the NextToken.', $metadata: FAILED.$metadata });
    offset = Number(decoded[1]);
  }
  const page = items.slice(offset, offset + pageSize);
  const next = offset + pageSize;
  return { page, ...(next < items.length && { nextToken: Buffer.from(`fake-cw:${next}`, 'utf8').toString('base64url') }) };
}

/**
 * Reads the CloudWatch alarms (metric and composite) that judge a canary: their current state and
 * their state changes since a bake began.
 */
import {
  type AlarmHistoryItem,
  type AlarmType,
  CloudWatchClient,
  type CompositeAlarm,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  type MetricAlarm,
} from '@aws-sdk/client-cloudwatch';
import type { AlarmState, AlarmStateValue, AlarmTransition } from '../domain/types';
import { ValidationFailedError } from '../errors';
import type { HealthSignals } from '../ports';
import { logger } from '../shared/observability';
import { clientConfig, withoutSdkLogging } from './client-config';

/** DescribeAlarms takes at most 100 names and returns at most 100 alarms a page. */
const PAGE_SIZE = 100;

/** Without AlarmTypes, both DescribeAlarms and DescribeAlarmHistory see metric alarms only. */
const ALARM_TYPES: AlarmType[] = ['MetricAlarm', 'CompositeAlarm'];

const STATE_VALUES: ReadonlySet<string> = new Set<AlarmStateValue>(['OK', 'ALARM', 'INSUFFICIENT_DATA']);

const SUMMARY_PATTERN = /from (OK|ALARM|INSUFFICIENT_DATA) to (OK|ALARM|INSUFFICIENT_DATA)/;

export class CloudWatchHealthSignals implements HealthSignals {
  constructor(private readonly client = withoutSdkLogging(new CloudWatchClient({ ...clientConfig }))) {}

  async alarmStates(alarmNames: string[]): Promise<AlarmState[]> {
    const names = [...new Set(alarmNames)];
    const found = new Map<string, AlarmState>();
    for (let start = 0; start < names.length; start += PAGE_SIZE) {
      const batch = names.slice(start, start + PAGE_SIZE);
      let nextToken: string | undefined;
      do {
        const output = await this.client.send(
          new DescribeAlarmsCommand({
            AlarmNames: batch,
            AlarmTypes: ALARM_TYPES,
            MaxRecords: PAGE_SIZE,
            ...(nextToken ? { NextToken: nextToken } : {}),
          }),
        );
        for (const alarm of [...(output.MetricAlarms ?? []), ...(output.CompositeAlarms ?? [])]) {
          const state = toAlarmState(alarm);
          if (state) {
            found.set(state.name, state);
          }
        }
        nextToken = output.NextToken;
      } while (nextToken);
    }

    // A missing alarm can never report ALARM, so counting it as healthy would hide a broken canary.
    const missing = names.filter((name) => !found.has(name));
    if (missing.length > 0) {
      throw new ValidationFailedError(missing.map((name) => `alarm ${name} does not exist in this account/region`));
    }
    return names.map((name) => found.get(name)!);
  }

  async alarmHistory(alarmNames: string[], since: Date): Promise<AlarmTransition[]> {
    const transitions: AlarmTransition[] = [];
    for (const name of new Set(alarmNames)) {
      let nextToken: string | undefined;
      do {
        const output = await this.client.send(
          new DescribeAlarmHistoryCommand({
            AlarmName: name,
            AlarmTypes: ALARM_TYPES,
            HistoryItemType: 'StateUpdate',
            StartDate: since,
            ScanBy: 'TimestampAscending',
            MaxRecords: PAGE_SIZE,
            ...(nextToken ? { NextToken: nextToken } : {}),
          }),
        );
        for (const item of output.AlarmHistoryItems ?? []) {
          const transition = toTransition(item, name);
          if (transition && Date.parse(transition.at) >= since.getTime()) {
            transitions.push(transition);
          }
        }
        nextToken = output.NextToken;
      } while (nextToken);
    }
    // Array.prototype.sort is stable, so changes at the same instant keep their per-alarm order.
    return transitions.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  }
}

function toAlarmState(alarm: MetricAlarm | CompositeAlarm): AlarmState | undefined {
  if (!alarm.AlarmName) {
    return undefined;
  }
  // StateUpdatedTimestamp also moves when only the evaluation state changes; the transition time
  // is the one that says when the alarm last changed state.
  const updatedAt = alarm.StateTransitionedTimestamp ?? alarm.StateUpdatedTimestamp;
  return {
    name: alarm.AlarmName,
    // CloudWatch always reports a state; were it ever absent, "no data" is the honest reading.
    state: asStateValue(alarm.StateValue) ?? 'INSUFFICIENT_DATA',
    ...(alarm.StateReason ? { reason: alarm.StateReason } : {}),
    updatedAt: (updatedAt ?? new Date(0)).toISOString(),
  };
}

function toTransition(item: AlarmHistoryItem, requestedName: string): AlarmTransition | undefined {
  const name = item.AlarmName ?? requestedName;
  const states = statesFromData(item.HistoryData) ?? statesFromSummary(item.HistorySummary);
  if (!item.Timestamp || !states) {
    logger.warn('Skipping an alarm history item that names no state change', { alarmName: name, item });
    return undefined;
  }
  return {
    name,
    at: item.Timestamp.toISOString(),
    ...(states.from ? { from: states.from } : {}),
    to: states.to,
    ...(item.HistorySummary ? { summary: item.HistorySummary } : {}),
  };
}

interface StateChange {
  readonly from?: AlarmStateValue;
  readonly to: AlarmStateValue;
}

/** HistoryData is a JSON document: `{"oldState":{"stateValue":"OK",…},"newState":{"stateValue":"ALARM",…}}`. */
function statesFromData(historyData: string | undefined): StateChange | undefined {
  if (!historyData) {
    return undefined;
  }
  let data: unknown;
  try {
    data = JSON.parse(historyData);
  } catch {
    return undefined;
  }
  const to = asStateValue(stateValueAt(data, 'newState'));
  if (!to) {
    return undefined;
  }
  const from = asStateValue(stateValueAt(data, 'oldState'));
  return from ? { from, to } : { to };
}

/** The fallback: `Alarm updated from OK to ALARM`. */
function statesFromSummary(summary: string | undefined): StateChange | undefined {
  const match = summary ? SUMMARY_PATTERN.exec(summary) : null;
  if (!match) {
    return undefined;
  }
  return { from: match[1] as AlarmStateValue, to: match[2] as AlarmStateValue };
}

function stateValueAt(data: unknown, key: 'oldState' | 'newState'): unknown {
  if (typeof data !== 'object' || data === null) {
    return undefined;
  }
  const state: unknown = (data as Record<string, unknown>)[key];
  if (typeof state !== 'object' || state === null) {
    return undefined;
  }
  return (state as Record<string, unknown>).stateValue;
}

function asStateValue(value: unknown): AlarmStateValue | undefined {
  return typeof value === 'string' && STATE_VALUES.has(value) ? (value as AlarmStateValue) : undefined;
}

import {
  type AlarmHistoryItem,
  CloudWatchClient,
  type CompositeAlarm,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  type MetricAlarm,
} from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { CloudWatchHealthSignals } from '../../lambda/adapters/cloudwatch-health-signals';
import { ValidationFailedError } from '../../lambda/errors';

const cloudwatch = mockClient(CloudWatchClient);

const ALARM_TYPES = ['MetricAlarm', 'CompositeAlarm'];
const SINCE = new Date('2026-03-01T10:00:00.000Z');

function metricAlarm(name: string, state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA', at = '2026-03-01T09:00:00.000Z'): MetricAlarm {
  return {
    AlarmName: name,
    StateValue: state,
    StateReason: `Threshold Crossed: ${name}`,
    StateUpdatedTimestamp: new Date('2026-03-01T09:30:00.000Z'),
    StateTransitionedTimestamp: new Date(at),
  };
}

function historyItem(name: string, at: string, from: string, to: string): AlarmHistoryItem {
  return {
    AlarmName: name,
    Timestamp: new Date(at),
    HistoryItemType: 'StateUpdate',
    HistorySummary: `Alarm updated from ${from} to ${to}`,
    HistoryData: JSON.stringify({
      version: '1.0',
      oldState: { stateValue: from, stateReason: 'before' },
      newState: { stateValue: to, stateReason: 'after', stateReasonData: { version: '1.0', threshold: 5 } },
    }),
  };
}

describe('CloudWatchHealthSignals', () => {
  beforeEach(() => {
    cloudwatch.reset();
  });

  describe('alarmStates', () => {
    it('reads metric and composite alarms in one call', async () => {
      // Prepare
      const composite: CompositeAlarm = {
        AlarmName: 'checkout-canary-health',
        AlarmRule: 'ALARM("checkout-canary-5xx") OR ALARM("checkout-canary-p99")',
        StateValue: 'ALARM',
        StateReason: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:checkout-canary-5xx transitioned to ALARM',
        StateUpdatedTimestamp: new Date('2026-03-01T09:10:00.000Z'),
        StateTransitionedTimestamp: new Date('2026-03-01T09:05:00.000Z'),
      };
      cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [metricAlarm('checkout-canary-5xx', 'OK')], CompositeAlarms: [composite] });
      const signals = new CloudWatchHealthSignals(new CloudWatchClient({}));

      // Act
      const states = await signals.alarmStates(['checkout-canary-health', 'checkout-canary-5xx']);

      // Assess
      expect(states).toEqual([
        {
          name: 'checkout-canary-health',
          state: 'ALARM',
          reason: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:checkout-canary-5xx transitioned to ALARM',
          updatedAt: '2026-03-01T09:05:00.000Z',
        },
        { name: 'checkout-canary-5xx', state: 'OK', reason: 'Threshold Crossed: checkout-canary-5xx', updatedAt: '2026-03-01T09:00:00.000Z' },
      ]);
      expect(cloudwatch).toHaveReceivedCommandTimes(DescribeAlarmsCommand, 1);
      expect(cloudwatch.commandCalls(DescribeAlarmsCommand)[0]!.args[0].input).toEqual({
        AlarmNames: ['checkout-canary-health', 'checkout-canary-5xx'],
        AlarmTypes: ALARM_TYPES,
        MaxRecords: 100,
      });
    });

    it('falls back to StateUpdatedTimestamp when no transition time is reported', async () => {
      // Prepare
      cloudwatch.on(DescribeAlarmsCommand).resolves({
        MetricAlarms: [{ AlarmName: 'checkout-p99', StateValue: 'INSUFFICIENT_DATA', StateUpdatedTimestamp: new Date('2026-03-01T08:00:00.000Z') }],
      });
      const signals = new CloudWatchHealthSignals(new CloudWatchClient({}));

      // Act
      const states = await signals.alarmStates(['checkout-p99']);

      // Assess
      expect(states).toEqual([{ name: 'checkout-p99', state: 'INSUFFICIENT_DATA', updatedAt: '2026-03-01T08:00:00.000Z' }]);
    });

    it('asks for 150 names in two batches of at most 100', async () => {
      // Prepare
      const names = Array.from({ length: 150 }, (_, i) => `alarm-${String(i).padStart(3, '0')}`);
      cloudwatch
        .on(DescribeAlarmsCommand)
        .callsFake((input: { AlarmNames: string[] }) => ({ MetricAlarms: input.AlarmNames.map((name) => metricAlarm(name, 'OK')) }));
      const signals = new CloudWatchHealthSignals(new CloudWatchClient({}));

      // Act
      const states = await signals.alarmStates(names);

      // Assess
      expect(states.map((s) => s.name)).toEqual(names);
      expect(cloudwatch).toHaveReceivedCommandTimes(DescribeAlarmsCommand, 2);
      expect(cloudwatch.commandCalls(DescribeAlarmsCommand)[0]!.args[0].input).toEqual({ AlarmNames: names.slice(0, 100), AlarmTypes: ALARM_TYPES, MaxRecords: 100 });
      expect(cloudwatch.commandCalls(DescribeAlarmsCommand)[1]!.args[0].input).toEqual({ AlarmNames: names.slice(100), AlarmTypes: ALARM_TYPES, MaxRecords: 100 });
    });

    it('follows NextToken', async () => {
      // Prepare
      cloudwatch
        .on(DescribeAlarmsCommand)
        .resolvesOnce({ MetricAlarms: [metricAlarm('a', 'OK')], NextToken: 'page-2' })
        .resolvesOnce({ CompositeAlarms: [{ AlarmName: 'b', StateValue: 'ALARM', StateTransitionedTimestamp: new Date('2026-03-01T09:00:00.000Z') }] });
      const signals = new CloudWatchHealthSignals(new CloudWatchClient({}));

      // Act
      const states = await signals.alarmStates(['a', 'b']);

      // Assess
      expect(states.map((s) => [s.name, s.state])).toEqual([
        ['a', 'OK'],
        ['b', 'ALARM'],
      ]);
      expect(cloudwatch.commandCalls(DescribeAlarmsCommand)[0]!.args[0].input).toEqual({ AlarmNames: ['a', 'b'], AlarmTypes: ALARM_TYPES, MaxRecords: 100 });
      expect(cloudwatch.commandCalls(DescribeAlarmsCommand)[1]!.args[0].input).toEqual({
        AlarmNames: ['a', 'b'],
        AlarmTypes: ALARM_TYPES,
        MaxRecords: 100,
        NextToken: 'page-2',
      });
    });

    it('names every alarm that does not exist', async () => {
      // Prepare
      cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [metricAlarm('checkout-5xx', 'OK')] });
      const signals = new CloudWatchHealthSignals(new CloudWatchClient({}));

      // Act
      const result = signals.alarmStates(['checkout-5xx', 'checkout-p99', 'checkout-health']);

      // Assess
      await expect(result).rejects.toThrow(ValidationFailedError);
      await expect(result).rejects.toMatchObject({
        problems: [
          'alarm checkout-p99 does not exist in this account/region',
          'alarm checkout-health does not exist in this account/region',
        ],
      });
    });

    it('makes no call for no alarms', async () => {
      // Prepare
      const signals = new CloudWatchHealthSignals(new CloudWatchClient({}));

      // Act
      const states = await signals.alarmStates([]);

      // Assess
      expect(states).toEqual([]);
      expect(cloudwatch.calls()).toHaveLength(0);
    });
  });

  describe('alarmHistory', () => {
    it('asks for state updates of each alarm since the given time, oldest first', async () => {
      // Prepare
      cloudwatch
        .on(DescribeAlarmHistoryCommand, { AlarmName: 'checkout-5xx' })
        .resolves({ AlarmHistoryItems: [historyItem('checkout-5xx', '2026-03-01T10:02:00.000Z', 'OK', 'ALARM'), historyItem('checkout-5xx', '2026-03-01T10:04:00.000Z', 'ALARM', 'OK')] })
        .on(DescribeAlarmHistoryCommand, { AlarmName: 'checkout-health' })
        .resolves({ AlarmHistoryItems: [historyItem('checkout-health', '2026-03-01T10:03:00.000Z', 'OK', 'ALARM')] });
      const signals = new CloudWatchHealthSignals(new CloudWatchClient({}));

      // Act
      const transitions = await signals.alarmHistory(['checkout-5xx', 'checkout-health'], SINCE);

      // Assess
      expect(transitions).toEqual([
        { name: 'checkout-5xx', at: '2026-03-01T10:02:00.000Z', from: 'OK', to: 'ALARM', summary: 'Alarm updated from OK to ALARM' },
        { name: 'checkout-health', at: '2026-03-01T10:03:00.000Z', from: 'OK', to: 'ALARM', summary: 'Alarm updated from OK to ALARM' },
        { name: 'checkout-5xx', at: '2026-03-01T10:04:00.000Z', from: 'ALARM', to: 'OK', summary: 'Alarm updated from ALARM to OK' },
      ]);
      expect(cloudwatch).toHaveReceivedCommandTimes(DescribeAlarmHistoryCommand, 2);
      const expectedInput = (name: string) => ({
        AlarmName: name,
        AlarmTypes: ALARM_TYPES,
        HistoryItemType: 'StateUpdate',
        StartDate: SINCE,
        ScanBy: 'TimestampAscending',
        MaxRecords: 100,
      });
      expect(cloudwatch.commandCalls(DescribeAlarmHistoryCommand)[0]!.args[0].input).toEqual(expectedInput('checkout-5xx'));
      expect(cloudwatch.commandCalls(DescribeAlarmHistoryCommand)[1]!.args[0].input).toEqual(expectedInput('checkout-health'));
    });

    it('follows NextToken', async () => {
      // Prepare
      cloudwatch
        .on(DescribeAlarmHistoryCommand)
        .resolvesOnce({ AlarmHistoryItems: [historyItem('checkout-5xx', '2026-03-01T10:01:00.000Z', 'OK', 'ALARM')], NextToken: 'more' })
        .resolvesOnce({ AlarmHistoryItems: [historyItem('checkout-5xx', '2026-03-01T10:05:00.000Z', 'ALARM', 'OK')] });
      const signals = new CloudWatchHealthSignals(new CloudWatchClient({}));

      // Act
      const transitions = await signals.alarmHistory(['checkout-5xx'], SINCE);

      // Assess
      expect(transitions.map((t) => t.to)).toEqual(['ALARM', 'OK']);
      expect(cloudwatch).toHaveReceivedCommandTimes(DescribeAlarmHistoryCommand, 2);
      expect(cloudwatch.commandCalls(DescribeAlarmHistoryCommand)[1]!.args[0].input).toEqual({
        AlarmName: 'checkout-5xx',
        AlarmTypes: ALARM_TYPES,
        HistoryItemType: 'StateUpdate',
        StartDate: SINCE,
        ScanBy: 'TimestampAscending',
        MaxRecords: 100,
        NextToken: 'more',
      });
    });

    it('reads the summary when HistoryData is missing or not JSON', async () => {
      // Prepare
      cloudwatch.on(DescribeAlarmHistoryCommand).resolves({
        AlarmHistoryItems: [
          { AlarmName: 'checkout-5xx', Timestamp: new Date('2026-03-01T10:01:00.000Z'), HistorySummary: 'Alarm updated from INSUFFICIENT_DATA to ALARM' },
          { AlarmName: 'checkout-5xx', Timestamp: new Date('2026-03-01T10:02:00.000Z'), HistorySummary: 'Alarm updated from ALARM to OK', HistoryData: '{not json' },
        ],
      });
      const signals = new CloudWatchHealthSignals(new CloudWatchClient({}));

      // Act
      const transitions = await signals.alarmHistory(['checkout-5xx'], SINCE);

      // Assess
      expect(transitions).toEqual([
        { name: 'checkout-5xx', at: '2026-03-01T10:01:00.000Z', from: 'INSUFFICIENT_DATA', to: 'ALARM', summary: 'Alarm updated from INSUFFICIENT_DATA to ALARM' },
        { name: 'checkout-5xx', at: '2026-03-01T10:02:00.000Z', from: 'ALARM', to: 'OK', summary: 'Alarm updated from ALARM to OK' },
      ]);
    });

    it('prefers HistoryData over the summary', async () => {
      // Prepare
      cloudwatch.on(DescribeAlarmHistoryCommand).resolves({
        AlarmHistoryItems: [{ ...historyItem('checkout-health', '2026-03-01T10:01:00.000Z', 'OK', 'ALARM'), HistorySummary: 'Alarm updated' }],
      });
      const signals = new CloudWatchHealthSignals(new CloudWatchClient({}));

      // Act
      const transitions = await signals.alarmHistory(['checkout-health'], SINCE);

      // Assess
      expect(transitions).toEqual([{ name: 'checkout-health', at: '2026-03-01T10:01:00.000Z', from: 'OK', to: 'ALARM', summary: 'Alarm updated' }]);
    });

    it('leaves out changes before the given time', async () => {
      // Prepare
      cloudwatch.on(DescribeAlarmHistoryCommand).resolves({
        AlarmHistoryItems: [historyItem('checkout-5xx', '2026-03-01T09:59:59.999Z', 'OK', 'ALARM'), historyItem('checkout-5xx', '2026-03-01T10:00:00.000Z', 'ALARM', 'OK')],
      });
      const signals = new CloudWatchHealthSignals(new CloudWatchClient({}));

      // Act
      const transitions = await signals.alarmHistory(['checkout-5xx'], SINCE);

      // Assess
      expect(transitions.map((t) => t.at)).toEqual(['2026-03-01T10:00:00.000Z']);
    });

    it('makes no call for no alarms', async () => {
      // Prepare
      const signals = new CloudWatchHealthSignals(new CloudWatchClient({}));

      // Act
      const transitions = await signals.alarmHistory([], SINCE);

      // Assess
      expect(transitions).toEqual([]);
      expect(cloudwatch.calls()).toHaveLength(0);
    });
  });
});

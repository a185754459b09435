import { CloudWatchClient, DescribeAlarmHistoryCommand, DescribeAlarmsCommand, InvalidNextToken } from '@aws-sdk/client-cloudwatch';
import type { Interception } from '../../local/fakes/sdk-intercept';
import { FakeCloudWatch, type AlarmStateChangeEvent } from '../../local/fakes/cloudwatch';

const client = new CloudWatchClient({ region: 'eu-west-1' });
const T0 = new Date('2025-03-01T10:00:00.000Z');
const T1 = new Date('2025-03-01T10:05:00.250Z');
const T2 = new Date('2025-03-01T10:06:00.500Z');

describe('FakeCloudWatch', () => {
  let fake: FakeCloudWatch;
  let stub: Interception;
  let clock: Date;

  beforeEach(() => {
    clock = T0;
    fake = new FakeCloudWatch({ now: () => clock, region: 'eu-west-1', accountId: '123456789012' });
    stub = fake.install();
  });

  afterEach(() => stub.restore());

  describe('DescribeAlarms', () => {
    it('returns only metric alarms unless AlarmTypes asks for composites, and leaves out missing names', async () => {
      // Prepare
      fake.addAlarm('checkout-5xx');
      fake.addAlarm('checkout-health', { type: 'composite', alarmRule: 'ALARM("checkout-5xx")', state: 'ALARM', reason: 'child in alarm' });
      const names = ['checkout-5xx', 'checkout-health', 'does-not-exist'];

      // Act
      const metricOnly = await client.send(new DescribeAlarmsCommand({ AlarmNames: names }));
      const both = await client.send(new DescribeAlarmsCommand({ AlarmNames: names, AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] }));

      // Assess
      expect(metricOnly.MetricAlarms?.map((alarm) => alarm.AlarmName)).toEqual(['checkout-5xx']);
      expect(metricOnly.CompositeAlarms).toBeUndefined();
      expect(both.MetricAlarms?.map((alarm) => [alarm.AlarmName, alarm.StateValue])).toEqual([['checkout-5xx', 'OK']]);
      expect(both.CompositeAlarms).toEqual([
        {
          AlarmName: 'checkout-health',
          AlarmArn: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:checkout-health',
          AlarmRule: 'ALARM("checkout-5xx")',
          AlarmConfigurationUpdatedTimestamp: T0,
          ActionsEnabled: true,
          OKActions: [],
          AlarmActions: [],
          InsufficientDataActions: [],
          StateValue: 'ALARM',
          StateReason: 'child in alarm',
          StateUpdatedTimestamp: T0,
          StateTransitionedTimestamp: T0,
        },
      ]);
    });

    it('pages with MaxRecords and NextToken', async () => {
      // Prepare
      for (const name of ['a', 'b', 'c', 'd', 'e']) fake.addAlarm(name);
      const pages: string[][] = [];
      let token: string | undefined;

      // Act
      do {
        const page = await client.send(new DescribeAlarmsCommand({ MaxRecords: 2, NextToken: token }));
        pages.push(page.MetricAlarms!.map((alarm) => alarm.AlarmName!));
        token = page.NextToken;
      } while (token);

      // Assess
      expect(pages).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
      await expect(client.send(new DescribeAlarmsCommand({ NextToken: 'garbage' }))).rejects.toBeInstanceOf(InvalidNextToken);
    });
  });

  describe('history', () => {
    it('records a state change as CloudWatch does', async () => {
      // Prepare
      fake.addAlarm('checkout-5xx', { reason: 'Threshold Crossed: no datapoints were breaching' });
      clock = T1;

      // Act
      await fake.setState('checkout-5xx', 'ALARM', 'Threshold Crossed: 1 datapoint [12.0] was greater than the threshold (5.0).');
      const { AlarmHistoryItems } = await client.send(
        new DescribeAlarmHistoryCommand({ AlarmName: 'checkout-5xx', HistoryItemType: 'StateUpdate', StartDate: T1 }),
      );

      // Assess
      expect(AlarmHistoryItems).toEqual([
        {
          AlarmName: 'checkout-5xx',
          AlarmType: 'MetricAlarm',
          Timestamp: T1,
          HistoryItemType: 'StateUpdate',
          HistorySummary: 'Alarm updated from OK to ALARM',
          HistoryData: expect.any(String),
        },
      ]);
      expect(JSON.parse(AlarmHistoryItems![0].HistoryData!)).toEqual({
        version: '1.0',
        oldState: { stateValue: 'OK', stateReason: 'Threshold Crossed: no datapoints were breaching' },
        newState: { stateValue: 'ALARM', stateReason: 'Threshold Crossed: 1 datapoint [12.0] was greater than the threshold (5.0).' },
      });
    });

    it('lists newest first by default, filters by type and dates, and needs AlarmTypes for composites', async () => {
      // Prepare
      fake.addAlarm('m');
      fake.addAlarm('c', { type: 'composite' });
      clock = T1;
      await fake.setState('m', 'ALARM', 'up');
      await fake.setState('c', 'ALARM', 'up');
      clock = T2;
      await fake.setState('m', 'OK', 'down');

      // Act
      const all = await client.send(new DescribeAlarmHistoryCommand({}));
      const ascending = await client.send(new DescribeAlarmHistoryCommand({ HistoryItemType: 'StateUpdate', StartDate: T1, ScanBy: 'TimestampAscending' }));
      const composite = await client.send(new DescribeAlarmHistoryCommand({ AlarmName: 'c', AlarmTypes: ['CompositeAlarm'], HistoryItemType: 'StateUpdate' }));

      // Assess
      expect(all.AlarmHistoryItems?.map((item) => [item.AlarmName, item.HistoryItemType, item.HistorySummary])).toEqual([
        ['m', 'StateUpdate', 'Alarm updated from ALARM to OK'],
        ['m', 'StateUpdate', 'Alarm updated from OK to ALARM'],
        ['m', 'StateUpdate', 'Alarm updated from INSUFFICIENT_DATA to OK'],
        ['m', 'ConfigurationUpdate', 'Alarm "m" created'],
      ]);
      expect(ascending.AlarmHistoryItems?.map((item) => item.HistorySummary)).toEqual([
        'Alarm updated from OK to ALARM',
        'Alarm updated from ALARM to OK',
      ]);
      expect(composite.AlarmHistoryItems?.map((item) => [item.AlarmType, item.HistorySummary])).toEqual([
        ['CompositeAlarm', 'Alarm updated from OK to ALARM'],
        ['CompositeAlarm', 'Alarm updated from INSUFFICIENT_DATA to OK'],
      ]);
    });
  });

  describe('events', () => {
    it('delivers the EventBridge "CloudWatch Alarm State Change" event', async () => {
      // Prepare
      fake.addAlarm('checkout-5xx', {
        reason: 'fine',
        description: 'Canary 5xx',
        metric: { namespace: 'AWS/ApplicationELB', name: 'HTTPCode_Target_5XX_Count', dimensions: { TargetGroup: 'targetgroup/c/1' } },
      });
      const events: AlarmStateChangeEvent[] = [];
      fake.onAlarmEvent((event) => events.push(event));
      clock = T1;

      // Act
      await fake.setState('checkout-5xx', 'ALARM', 'Threshold Crossed', { reasonData: '{"version":"1.0","threshold":5.0}' });

      // Assess
      expect(events).toEqual([
        {
          version: '0',
          id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          'detail-type': 'CloudWatch Alarm State Change',
          source: 'aws.cloudwatch',
          account: '123456789012',
          time: '2025-03-01T10:05:00Z',
          region: 'eu-west-1',
          resources: ['arn:aws:cloudwatch:eu-west-1:123456789012:alarm:checkout-5xx'],
          detail: {
            alarmName: 'checkout-5xx',
            state: { value: 'ALARM', reason: 'Threshold Crossed', reasonData: '{"version":"1.0","threshold":5.0}', timestamp: '2025-03-01T10:05:00.250+0000' },
            previousState: { value: 'OK', reason: 'fine', timestamp: '2025-03-01T10:00:00.000+0000' },
            configuration: {
              description: 'Canary 5xx',
              metrics: [
                {
                  id: expect.any(String),
                  metricStat: {
                    metric: { dimensions: { TargetGroup: 'targetgroup/c/1' }, name: 'HTTPCode_Target_5XX_Count', namespace: 'AWS/ApplicationELB' },
                    period: 60,
                    stat: 'Sum',
                  },
                  returnData: true,
                },
              ],
            },
          },
        },
      ]);
    });

    it('records history without an event when emitEvent is false, and emits nothing without a transition', async () => {
      // Prepare
      fake.addAlarm('checkout-5xx');
      const events: AlarmStateChangeEvent[] = [];
      fake.onAlarmEvent((event) => events.push(event));

      // Act
      await fake.setState('checkout-5xx', 'ALARM', 'lost event', { emitEvent: false });
      await fake.setState('checkout-5xx', 'ALARM', 'still in alarm');

      // Assess
      expect(events).toEqual([]);
      expect(fake.history('checkout-5xx').map((item) => item.HistorySummary)).toEqual([
        'Alarm "checkout-5xx" created',
        'Alarm updated from INSUFFICIENT_DATA to OK',
        'Alarm updated from OK to ALARM',
      ]);
    });
  });
});

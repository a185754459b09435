import { Duration, Stack, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type { IConstruct } from 'constructs';
import { CanaryRollout } from '../../lib/canary-rollout';
import {
  loadBalancerFullNameFromListenerArn,
  managedAlarmProblems,
  targetGroupFullName,
  type ManagedAlarmOptions,
} from '../../lib/managed-alarms';
import { SAMPLE, emptyStack, sharedSample, validRolloutProps } from '../support/synth';

type Json = Record<string, unknown>;

const LOAD_BALANCER = 'app/shop/50dc6c495c0c9188';
const CANARY_TG = 'targetgroup/checkout-canary/2b8f5c1d9a3e4f60';
const STABLE_TG = 'targetgroup/checkout/73e2d6bc24d8a067';

function logicalId(construct: IConstruct): string {
  const stack = Stack.of(construct);
  return stack.resolve(stack.getLogicalId(construct.node.defaultChild as CfnElement)) as string;
}

function alarmProps(template: Template, alarm: IConstruct): Json {
  return (template.toJSON().Resources[logicalId(alarm)] as Json).Properties as Json;
}

/** One ALB metric of a target group, as a metric data query. */
function query(id: string, metricName: string, targetGroup: string): Json {
  return {
    Id: id,
    MetricStat: {
      Metric: {
        Dimensions: [
          { Name: 'LoadBalancer', Value: LOAD_BALANCER },
          { Name: 'TargetGroup', Value: targetGroup },
        ],
        MetricName: metricName,
        Namespace: 'AWS/ApplicationELB',
      },
      Period: 60,
      Stat: 'Sum',
    },
    ReturnData: false,
  };
}

const CANARY_RATE = 'IF(canaryRequests >= 20, 100 * FILL(canaryErrors, 0) / canaryRequests, 0)';

describe('managed alarms', () => {
  let sample: ReturnType<typeof sharedSample>;
  beforeAll(() => {
    sample = sharedSample();
  });

  it("alarms on the canary's 5xx rate, counted from the minimum request count", () => {
    // Prepare
    const { template, stack } = sample;

    // Act
    const props = alarmProps(template, stack.rollout.managedAlarms!.errorRateAlarm);

    // Assess
    expect(props).toEqual({
      AlarmDescription: expect.stringContaining('more than 5% of its requests'),
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 5,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
      TreatMissingData: 'notBreaching',
      Metrics: [
        { Expression: CANARY_RATE, Id: 'expr_1', Label: 'Canary 5xx rate (%)', ReturnData: true },
        query('canaryRequests', 'RequestCount', CANARY_TG),
        query('canaryErrors', 'HTTPCode_Target_5XX_Count', CANARY_TG),
      ],
    });
  });

  it("alarms when the canary's 5xx rate exceeds the stable's by the margin", () => {
    // Prepare
    const { template, stack } = sample;

    // Act
    const props = alarmProps(template, stack.rollout.managedAlarms!.comparisonAlarm!);

    // Assess
    expect(props).toEqual({
      AlarmDescription: expect.stringContaining("exceeds the stable's by more than 2 percentage points"),
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 2,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
      TreatMissingData: 'notBreaching',
      Metrics: [
        {
          Expression: 'canaryRate - FILL(stableRate, 0)',
          Id: 'expr_1',
          Label: 'Canary minus stable 5xx rate (percentage points)',
          ReturnData: true,
        },
        { Expression: CANARY_RATE, Id: 'canaryRate', Label: 'Canary 5xx rate (%)', ReturnData: false },
        query('canaryRequests', 'RequestCount', CANARY_TG),
        query('canaryErrors', 'HTTPCode_Target_5XX_Count', CANARY_TG),
        {
          Expression: '100 * FILL(stableErrors, 0) / stableRequests',
          Id: 'stableRate',
          Label: 'Stable 5xx rate (%)',
          ReturnData: false,
        },
        query('stableRequests', 'RequestCount', STABLE_TG),
        query('stableErrors', 'HTTPCode_Target_5XX_Count', STABLE_TG),
      ],
    });
  });

  it("alarms on the canary's p99 response time when a threshold is set", () => {
    // Prepare
    const { template, stack } = sample;

    // Act
    const props = alarmProps(template, stack.rollout.managedAlarms!.latencyAlarm!);

    // Assess
    expect(props).toEqual({
      AlarmDescription: expect.stringContaining('p99 response time exceeds 1.5 s'),
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 1.5,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
      TreatMissingData: 'notBreaching',
      Namespace: 'AWS/ApplicationELB',
      MetricName: 'TargetResponseTime',
      ExtendedStatistic: 'p99',
      Period: 60,
      Dimensions: [
        { Name: 'LoadBalancer', Value: LOAD_BALANCER },
        { Name: 'TargetGroup', Value: CANARY_TG },
      ],
    });
  });

  it('judges the canary by the user alarms and the managed ones, by name', () => {
    // Prepare
    const { stack } = sample;
    const managed = stack.rollout.managedAlarms!;

    // Act
    const names = stack.resolve(stack.rollout._targetConfig.alarmNames);

    // Assess
    expect(names).toEqual([
      SAMPLE.alarmNames[0],
      { Ref: logicalId(managed.errorRateAlarm) },
      { Ref: logicalId(managed.comparisonAlarm!) },
      { Ref: logicalId(managed.latencyAlarm!) },
    ]);
  });

  it('creates only the error-rate alarm with compareWithStable off and no latency threshold', () => {
    // Prepare
    const { stack } = emptyStack();

    // Act
    const rollout = new CanaryRollout(stack, 'Rollout', validRolloutProps(stack, { alarms: [], managedAlarms: { compareWithStable: false } }));
    const template = Template.fromStack(stack);

    // Assess
    template.resourceCountIs('AWS::CloudWatch::Alarm', 1);
    expect(rollout.alarms).toEqual([rollout.managedAlarms!.errorRateAlarm]);
  });

  it('applies the tuning options', () => {
    // Prepare
    const { stack } = emptyStack();
    const options: ManagedAlarmOptions = {
      errorRateThresholdPercent: 1,
      minimumRequests: 100,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      compareWithStable: false,
      loadBalancerFullName: 'app/other/0123456789abcdef',
    };

    // Act
    const rollout = new CanaryRollout(stack, 'Rollout', validRolloutProps(stack, { managedAlarms: options }));
    const props = alarmProps(Template.fromStack(stack), rollout.managedAlarms!.errorRateAlarm);

    // Assess
    expect(props).toMatchObject({ Threshold: 1, EvaluationPeriods: 5, DatapointsToAlarm: 3 });
    const metrics = props.Metrics as Json[];
    expect(metrics[0].Expression).toBe('IF(canaryRequests >= 100, 100 * FILL(canaryErrors, 0) / canaryRequests, 0)');
    expect(JSON.stringify(metrics[1])).toContain('"Value":"app/other/0123456789abcdef"');
  });

  it("derives the dimensions from the listener's and target groups' ARNs when they are tokens", () => {
    // Prepare
    const { stack } = emptyStack();
    const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, maxAzs: 2 });
    const alb = new elbv2.ApplicationLoadBalancer(stack, 'Alb', { vpc });
    const listener = alb.addListener('Http', { port: 80, defaultAction: elbv2.ListenerAction.fixedResponse(404) });
    const stable = new elbv2.ApplicationTargetGroup(stack, 'StableTg', { vpc, port: 80, targetType: elbv2.TargetType.IP });
    const canary = new elbv2.ApplicationTargetGroup(stack, 'CanaryTg', { vpc, port: 80, targetType: elbv2.TargetType.IP });

    // Act
    const rollout = new CanaryRollout(
      stack,
      'Rollout',
      validRolloutProps(stack, {
        listenerArn: undefined,
        listener,
        stableTargetGroup: stable,
        canaryTargetGroup: canary,
        managedAlarms: { compareWithStable: false },
      }),
    );
    const props = alarmProps(Template.fromStack(stack), rollout.managedAlarms!.errorRateAlarm);

    // Assess
    const dimensions = ((props.Metrics as Json[])[1].MetricStat as { Metric: { Dimensions: Json[] } }).Metric.Dimensions;
    const split = { 'Fn::Split': ['/', { Ref: logicalId(listener) }] };
    expect(dimensions).toEqual([
      {
        Name: 'LoadBalancer',
        Value: {
          'Fn::Join': ['/', [{ 'Fn::Select': [1, split] }, { 'Fn::Select': [2, split] }, { 'Fn::Select': [3, split] }]],
        },
      },
      { Name: 'TargetGroup', Value: { 'Fn::Select': [5, { 'Fn::Split': [':', { Ref: logicalId(canary) }] }] } },
    ]);
  });

  it.each<[string, string]>([
    [
      'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2',
      'app/shop/50dc6c495c0c9188',
    ],
    [
      'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee',
      'app/shop/50dc6c495c0c9188',
    ],
  ])('reads the LoadBalancer dimension of %s', (arn, expected) => {
    // Act
    const name = loadBalancerFullNameFromListenerArn(arn);

    // Assess
    expect(name).toBe(expected);
  });

  it('reads the TargetGroup dimension of a target group ARN', () => {
    // Act
    const name = targetGroupFullName(SAMPLE.canaryTargetGroupArn);

    // Assess
    expect(name).toBe(CANARY_TG);
  });

  it.each<[string, ManagedAlarmOptions, RegExp]>([
    ['an error rate of 0', { errorRateThresholdPercent: 0 }, /errorRateThresholdPercent must be above 0 and below 100, got 0/],
    ['an error rate of 100', { errorRateThresholdPercent: 100 }, /errorRateThresholdPercent must be above 0 and below 100/],
    ['a margin of 0', { stableComparisonMarginPercent: 0 }, /stableComparisonMarginPercent must be above 0 and below 100/],
    ['a fractional minimum', { minimumRequests: 2.5 }, /minimumRequests must be a positive integer, got 2.5/],
    ['a fractional evaluation period', { evaluationPeriods: 1.5, datapointsToAlarm: 1 }, /evaluationPeriods must be a positive integer, got 1.5/],
    ['more datapoints than periods', { evaluationPeriods: 2, datapointsToAlarm: 3 }, /datapointsToAlarm must be an integer from 1 to evaluationPeriods \(2\), got 3/],
    ['a zero latency threshold', { p99LatencyThreshold: Duration.seconds(0) }, /p99LatencyThreshold must be longer than zero/],
    ['a malformed load balancer name', { loadBalancerFullName: 'shop' }, /loadBalancerFullName must look like app\/<name>\/<id>, got "shop"/],
  ])('refuses %s', (_what, options, expected) => {
    // Act
    const problems = managedAlarmProblems(options);

    // Assess
    expect(problems).toEqual([expect.stringMatching(expected)]);
  });

  it('accepts the defaults', () => {
    // Act
    const problems = managedAlarmProblems({});

    // Assess
    expect(problems).toEqual([]);
  });
});

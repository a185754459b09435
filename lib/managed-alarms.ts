/**
 * Alarms the construct creates on the canary target group, from the ALB's own metrics.
 *
 * Every alarm here treats missing data as not breaching. The canary target group serves no
 * requests at weight 0 (before the first shift, between rollouts) and few at low weights, and the
 * ALB publishes no datapoint for a minute without requests. Missing data therefore means "no
 * evidence", not "unhealthy"; the minimum-request gate decides when a rate means something. Left
 * at the default (missing), every quiet bake would end in INSUFFICIENT_DATA, which the rollout's
 * default policy counts as unhealthy.
 */
import { Duration, Fn, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';

/** Tuning of the managed alarms. */
export interface ManagedAlarmOptions {
  /**
   * The canary's 5xx rate (percent of its requests answered 5xx by its targets) above which the
   * canary is unhealthy.
   * @default 5
   */
  readonly errorRateThresholdPercent?: number;
  /**
   * Requests per minute the canary must serve before its error rate counts; below it the rate is
   * taken as 0, so two errors out of three requests do not roll a release back.
   * @default 20
   */
  readonly minimumRequests?: number;
  /**
   * The canary's p99 `TargetResponseTime` above which it is unhealthy.
   * @default - no latency alarm
   */
  readonly p99LatencyThreshold?: Duration;
  /**
   * Also alarm when the canary's 5xx rate exceeds the stable's by more than
   * `stableComparisonMarginPercent` percentage points: catches a canary that is worse than stable
   * while both stay under the absolute threshold.
   * @default true
   */
  readonly compareWithStable?: boolean;
  /**
   * The margin, in percentage points, of the canary-versus-stable alarm.
   * @default 2
   */
  readonly stableComparisonMarginPercent?: number;
  /**
   * One-minute periods each alarm evaluates.
   * @default 3
   */
  readonly evaluationPeriods?: number;
  /**
   * Breaching periods, out of `evaluationPeriods`, that put an alarm in ALARM.
   * @default 2
   */
  readonly datapointsToAlarm?: number;
  /**
   * The ALB's full name (`app/<name>/<id>`), the `LoadBalancer` dimension.
   * @default - derived from the listener ARN
   */
  readonly loadBalancerFullName?: string;
}

export const MANAGED_ALARM_DEFAULTS = {
  errorRateThresholdPercent: 5,
  minimumRequests: 20,
  compareWithStable: true,
  stableComparisonMarginPercent: 2,
  evaluationPeriods: 3,
  datapointsToAlarm: 2,
} as const;

const PERIOD = Duration.minutes(1);
const NAMESPACE = 'AWS/ApplicationELB';
const LOAD_BALANCER_FULL_NAME = /^app\/[^/]+\/[0-9a-f]+$/;

export interface CanaryHealthAlarmsProps {
  /** Used in the alarms' descriptions. */
  readonly serviceName: string;
  /** `app/<name>/<id>`. */
  readonly loadBalancerFullName: string;
  /** `targetgroup/<name>/<id>`. */
  readonly canaryTargetGroupFullName: string;
  /** `targetgroup/<name>/<id>`. */
  readonly stableTargetGroupFullName: string;
  readonly options: ManagedAlarmOptions;
}

/** The managed alarms of one service. */
export class CanaryHealthAlarms extends Construct {
  /** The canary's 5xx rate. */
  readonly errorRateAlarm: cloudwatch.Alarm;
  /** Canary 5xx rate minus stable 5xx rate, when `compareWithStable`. */
  readonly comparisonAlarm?: cloudwatch.Alarm;
  /** The canary's p99 latency, when `p99LatencyThreshold` is set. */
  readonly latencyAlarm?: cloudwatch.Alarm;
  /** All of the above. */
  readonly alarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: CanaryHealthAlarmsProps) {
    super(scope, id);
    const o = { ...MANAGED_ALARM_DEFAULTS, ...withoutUndefined(props.options) };
    const evaluation = {
      evaluationPeriods: o.evaluationPeriods,
      datapointsToAlarm: o.datapointsToAlarm,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    };
    const canary = targetGroupMetrics(props.loadBalancerFullName, props.canaryTargetGroupFullName);
    const stable = targetGroupMetrics(props.loadBalancerFullName, props.stableTargetGroupFullName);

    const canaryRate = new cloudwatch.MathExpression({
      expression: `IF(canaryRequests >= ${o.minimumRequests}, 100 * FILL(canaryErrors, 0) / canaryRequests, 0)`,
      usingMetrics: { canaryRequests: canary.requests, canaryErrors: canary.errors },
      period: PERIOD,
      label: 'Canary 5xx rate (%)',
    });
    this.errorRateAlarm = canaryRate.createAlarm(this, 'ErrorRate', {
      ...evaluation,
      threshold: o.errorRateThresholdPercent,
      alarmDescription:
        `serinus ${props.serviceName}: the canary answers more than ${o.errorRateThresholdPercent}% of its requests ` +
        `with a target 5xx (counted from ${o.minimumRequests} requests a minute).`,
    });
    this.alarms = [this.errorRateAlarm];

    if (o.compareWithStable) {
      // The stable target group carries most of the traffic, so its rate needs no minimum; a
      // minute without stable requests (the canary at 100%) counts as a stable rate of 0.
      const stableRate = new cloudwatch.MathExpression({
        expression: '100 * FILL(stableErrors, 0) / stableRequests',
        usingMetrics: { stableRequests: stable.requests, stableErrors: stable.errors },
        period: PERIOD,
        label: 'Stable 5xx rate (%)',
      });
      const difference = new cloudwatch.MathExpression({
        expression: 'canaryRate - FILL(stableRate, 0)',
        usingMetrics: { canaryRate, stableRate },
        period: PERIOD,
        label: 'Canary minus stable 5xx rate (percentage points)',
      });
      this.comparisonAlarm = difference.createAlarm(this, 'ComparedWithStable', {
        ...evaluation,
        threshold: o.stableComparisonMarginPercent,
        alarmDescription:
          `serinus ${props.serviceName}: the canary's 5xx rate exceeds the stable's by more than ` +
          `${o.stableComparisonMarginPercent} percentage points.`,
      });
      this.alarms.push(this.comparisonAlarm);
    }

    if (o.p99LatencyThreshold) {
      const seconds = o.p99LatencyThreshold.toMilliseconds() / 1000;
      this.latencyAlarm = canary.latency.createAlarm(this, 'P99Latency', {
        ...evaluation,
        threshold: seconds,
        alarmDescription: `serinus ${props.serviceName}: the canary's p99 response time exceeds ${seconds} s.`,
      });
      this.alarms.push(this.latencyAlarm);
    }
  }
}

/** Problems with the options, each a sentence; empty when they are usable. */
export function managedAlarmProblems(options: ManagedAlarmOptions): string[] {
  const problems: string[] = [];
  const o = { ...MANAGED_ALARM_DEFAULTS, ...withoutUndefined(options) };
  if (!(o.errorRateThresholdPercent > 0 && o.errorRateThresholdPercent < 100)) {
    problems.push(`managedAlarms.errorRateThresholdPercent must be above 0 and below 100, got ${o.errorRateThresholdPercent}`);
  }
  if (!(o.stableComparisonMarginPercent > 0 && o.stableComparisonMarginPercent < 100)) {
    problems.push(
      `managedAlarms.stableComparisonMarginPercent must be above 0 and below 100, got ${o.stableComparisonMarginPercent}`,
    );
  }
  if (!Number.isInteger(o.minimumRequests) || o.minimumRequests < 1) {
    problems.push(`managedAlarms.minimumRequests must be a positive integer, got ${o.minimumRequests}`);
  }
  if (!Number.isInteger(o.evaluationPeriods) || o.evaluationPeriods < 1) {
    problems.push(`managedAlarms.evaluationPeriods must be a positive integer, got ${o.evaluationPeriods}`);
  }
  if (!Number.isInteger(o.datapointsToAlarm) || o.datapointsToAlarm < 1 || o.datapointsToAlarm > o.evaluationPeriods) {
    problems.push(
      `managedAlarms.datapointsToAlarm must be an integer from 1 to evaluationPeriods (${o.evaluationPeriods}), got ${o.datapointsToAlarm}`,
    );
  }
  if (o.p99LatencyThreshold && o.p99LatencyThreshold.toMilliseconds() <= 0) {
    problems.push('managedAlarms.p99LatencyThreshold must be longer than zero');
  }
  if (
    o.loadBalancerFullName !== undefined &&
    !Token.isUnresolved(o.loadBalancerFullName) &&
    !LOAD_BALANCER_FULL_NAME.test(o.loadBalancerFullName)
  ) {
    problems.push(
      `managedAlarms.loadBalancerFullName must look like app/<name>/<id>, got ${JSON.stringify(o.loadBalancerFullName)}`,
    );
  }
  return problems;
}

/** `targetgroup/<name>/<id>` from a target group ARN (the `TargetGroup` dimension). */
export function targetGroupFullName(targetGroupArn: string): string {
  if (Token.isUnresolved(targetGroupArn)) {
    return Fn.select(5, Fn.split(':', targetGroupArn));
  }
  return targetGroupArn.split(':').slice(5).join(':');
}

/**
 * `app/<name>/<id>` from a listener or listener-rule ARN (`…:listener/app/<name>/<id>/<listener>`),
 * the `LoadBalancer` dimension.
 */
export function loadBalancerFullNameFromListenerArn(listenerArn: string): string {
  if (Token.isUnresolved(listenerArn)) {
    const parts = Fn.split('/', listenerArn);
    return Fn.join('/', [Fn.select(1, parts), Fn.select(2, parts), Fn.select(3, parts)]);
  }
  return listenerArn.split('/').slice(1, 4).join('/');
}

/** The ALB metrics of one target group: requests, target 5xx, p99 response time. */
export function targetGroupMetrics(loadBalancer: string, targetGroup: string) {
  const dimensionsMap = { LoadBalancer: loadBalancer, TargetGroup: targetGroup };
  const metric = (metricName: string, statistic: string) =>
    new cloudwatch.Metric({ namespace: NAMESPACE, metricName, dimensionsMap, statistic, period: PERIOD });
  return {
    requests: metric('RequestCount', 'Sum'),
    errors: metric('HTTPCode_Target_5XX_Count', 'Sum'),
    latency: metric('TargetResponseTime', 'p99'),
  };
}

/** So `{ ...defaults, ...options }` keeps a default where an option is explicitly `undefined`. */
function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

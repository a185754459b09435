/**
 * One service's rollouts on a CloudWatch dashboard: the canary's weight over time, canary and
 * stable side by side (5xx rate, p99), the alarms that judge the canary, and rollouts by result.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { targetGroupMetrics } from './managed-alarms';
import type { AlbMetricDimensions } from './routing';

/** The metric the handlers write (embedded metric format) on every weight change. */
export const CANARY_WEIGHT_METRIC = { namespace: 'Serinus', metricName: 'CanaryWeight', dimension: 'Service' } as const;

export interface RolloutDashboardProps {
  readonly serviceName: string;
  readonly stateMachine: sfn.IStateMachine;
  /**
   * The ALB and target group dimensions, for the canary-versus-stable widgets.
   * @default - no ALB widgets (a router without ALB target groups)
   */
  readonly albMetrics?: AlbMetricDimensions;
  readonly alarms: cloudwatch.IAlarm[];
  /** @default - CloudFormation names it */
  readonly dashboardName?: string;
}

const PERIOD = Duration.minutes(1);
const WIDTH = 12;
const HEIGHT = 6;

export class RolloutDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: RolloutDashboardProps) {
    super(scope, id);
    const rate = (which: 'canary' | 'stable', metrics: ReturnType<typeof targetGroupMetrics>) =>
      new cloudwatch.MathExpression({
        expression: `100 * FILL(${which}Errors, 0) / ${which}Requests`,
        usingMetrics: { [`${which}Errors`]: metrics.errors, [`${which}Requests`]: metrics.requests },
        period: PERIOD,
        label: `${which === 'canary' ? 'Canary' : 'Stable'} 5xx rate (%)`,
      });

    const weight = new cloudwatch.Metric({
      namespace: CANARY_WEIGHT_METRIC.namespace,
      metricName: CANARY_WEIGHT_METRIC.metricName,
      dimensionsMap: { [CANARY_WEIGHT_METRIC.dimension]: props.serviceName },
      statistic: 'Maximum',
      period: PERIOD,
      label: 'Canary weight (%)',
    });
    const results = (['Succeeded', 'Failed', 'Aborted', 'TimedOut'] as const).map((result) =>
      props.stateMachine[`metric${result}`]({ statistic: 'Sum', period: Duration.hours(1), label: result }),
    );

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      ...(props.dashboardName !== undefined && { dashboardName: props.dashboardName }),
      defaultInterval: Duration.hours(6),
      widgets: [
        [
          new cloudwatch.GraphWidget({
            title: `${props.serviceName}: canary weight`,
            left: [weight],
            leftYAxis: { min: 0, max: 100, label: '%', showUnits: false },
            width: WIDTH,
            height: HEIGHT,
          }),
          new cloudwatch.AlarmStatusWidget({
            title: `${props.serviceName}: alarms that judge the canary`,
            alarms: [...props.alarms],
            width: WIDTH,
            height: HEIGHT,
          }),
        ],
        ...(props.albMetrics ? [albWidgets(props.albMetrics, rate)] : []),
        [
          new cloudwatch.GraphWidget({
            title: 'Rollouts by result',
            left: results,
            stacked: true,
            width: 2 * WIDTH,
            height: HEIGHT,
          }),
        ],
      ],
    });
  }
}

/** Canary and stable side by side: the target groups' 5xx rate and p99 response time. */
function albWidgets(
  alb: AlbMetricDimensions,
  rate: (which: 'canary' | 'stable', metrics: ReturnType<typeof targetGroupMetrics>) => cloudwatch.IMetric,
): cloudwatch.IWidget[] {
  const canary = targetGroupMetrics(alb.loadBalancerFullName, alb.canaryTargetGroupFullName);
  const stable = targetGroupMetrics(alb.loadBalancerFullName, alb.stableTargetGroupFullName);
  return [
    new cloudwatch.GraphWidget({
      title: 'Target 5xx rate: canary vs stable',
      left: [rate('canary', canary), rate('stable', stable)],
      leftYAxis: { min: 0, label: '%', showUnits: false },
      width: WIDTH,
      height: HEIGHT,
    }),
    new cloudwatch.GraphWidget({
      title: 'p99 response time: canary vs stable',
      left: [canary.latency.with({ label: 'Canary p99' }), stable.latency.with({ label: 'Stable p99' })],
      width: WIDTH,
      height: HEIGHT,
    }),
  ];
}

import { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';

/** One logger and one metrics instance for the whole runtime. */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'serinus' });
export const metrics = new Metrics({ namespace: 'Serinus', serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'serinus' });

/** Counts a rollout event: metric `<name>` in the Serinus namespace with a `rolloutService` dimension. */
export function countEvent(name: string, service: string, value = 1): void {
  const single = metrics.singleMetric();
  single.addDimension('rolloutService', service);
  single.addMetric(name, MetricUnit.Count, value);
}

/**
 * The canary's share of the traffic after a weight change: metric `CanaryWeight` in the Serinus
 * namespace with the single dimension `Service`, the one the dashboard graphs.
 */
export function recordCanaryWeight(service: string, percent: number): void {
  const single = metrics.singleMetric();
  // Without the default `service` dimension: a metric is found by its exact dimension set.
  single.clearDefaultDimensions();
  single.addDimension('Service', service);
  single.addMetric('CanaryWeight', MetricUnit.Percent, percent);
}

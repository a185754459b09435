/**
 * The adapters the handlers use, built once per Lambda container from the environment. Building
 * is lazy so a handler that needs no table does not require one to be configured.
 */
import { CloudWatchHealthSignals } from '../adapters/cloudwatch-health-signals';
import { DynamoDbRolloutStore } from '../adapters/dynamodb-rollout-store';
import { EksWorkloads } from '../adapters/eks-workloads';
import { Elbv2TrafficRouter } from '../adapters/elbv2-traffic-router';
import { SchedulerBakeTimer } from '../adapters/scheduler-bake-timer';
import { StepFunctionsCallbacks, StepFunctionsExecutions } from '../adapters/step-functions';
import { ENV } from '../handler-names';
import {
  systemClock,
  type BakeTimer,
  type Clock,
  type Executions,
  type HealthSignals,
  type RolloutStore,
  type TaskCallbacks,
  type TrafficRouter,
  type Workloads,
} from '../ports';

export interface Deps {
  readonly router: TrafficRouter;
  readonly health: HealthSignals;
  readonly workloads: Workloads;
  readonly store: RolloutStore;
  readonly timer: BakeTimer;
  readonly callbacks: TaskCallbacks;
  readonly executions: Executions;
  readonly clock: Clock;
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set; the serinus engine sets it on deploy`);
  return value;
}

function lazy<T>(build: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= build());
}

const router = lazy(() => new Elbv2TrafficRouter());
const health = lazy(() => new CloudWatchHealthSignals());
const workloads = lazy(() => new EksWorkloads());
const store = lazy(
  () =>
    new DynamoDbRolloutStore(requiredEnv(ENV.tableName), undefined, {
      executionIndexName: process.env[ENV.executionIndexName] ?? 'byExecution',
    }),
);
const timer = lazy(
  () =>
    new SchedulerBakeTimer({ groupName: requiredEnv(ENV.scheduleGroup), roleArn: requiredEnv(ENV.schedulerRoleArn) }),
);
const callbacks = lazy(() => new StepFunctionsCallbacks());
const executions = lazy(() => new StepFunctionsExecutions());

/** The production wiring. Each property builds its adapter on first use. */
export const deps: Deps = {
  get router() {
    return router();
  },
  get health() {
    return health();
  },
  get workloads() {
    return workloads();
  },
  get store() {
    return store();
  },
  get timer() {
    return timer();
  },
  get callbacks() {
    return callbacks();
  },
  get executions() {
    return executions();
  },
  clock: systemClock,
};

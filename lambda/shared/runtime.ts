/**
 * The adapters the handlers use, built once per Lambda container from the environment. Building
 * is lazy so a handler that needs no table does not require one to be configured.
 */
import { CloudWatchHealthSignals } from '../adapters/cloudwatch-health-signals';
import { DynamoDbRolloutStore } from '../adapters/dynamodb-rollout-store';
import { EksWorkloads } from '../adapters/eks-workloads';
import { EventBridgeRolloutEvents } from '../adapters/eventbridge-rollout-events';
import { Elbv2TrafficRouter } from '../adapters/elbv2-traffic-router';
import { SchedulerBakeTimer } from '../adapters/scheduler-bake-timer';
import { SnsNotifier } from '../adapters/sns-notifier';
import { StepFunctionsCallbacks, StepFunctionsExecutions } from '../adapters/step-functions';
import { DEFAULT_FENCE_SECONDS, ENV, EXECUTION_INDEX } from '../handler-names';
import {
  systemClock,
  type BakeTimer,
  type Clock,
  type Executions,
  type HealthSignals,
  type Notifier,
  type RolloutEvents,
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
  readonly events: RolloutEvents;
  readonly notifier: Notifier;
  readonly clock: Clock;
  /** How long a handler of an ended execution may still be running: the reassert waits that long. */
  readonly fenceSeconds: number;
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set; the serinus engine sets it on deploy`);
  return value;
}

/** An object whose properties are built on first read and kept, as a Lambda container keeps its clients. */
function lazily<T extends object>(builders: { [K in keyof T]: () => T[K] }): T {
  const built: Partial<T> = {};
  const target = {} as T;
  for (const key of Object.keys(builders) as Array<keyof T>) {
    Object.defineProperty(target, key, { enumerable: true, get: () => (built[key] ??= builders[key]()) });
  }
  return target;
}

let pauseScale = 1;

/**
 * How much faster than real time the adapters' own pauses run (the router's read-back and
 * throttling pauses). 1 in Lambda; a host that runs the handlers against local fakes compresses
 * them as it compresses the SDK's retry backoff, so no test waits seconds.
 */
export function compressPauses(scale: number): void {
  if (!(scale >= 1)) throw new Error(`pause scale must be ≥ 1, got ${scale}`);
  pauseScale = scale;
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms / pauseScale));
}

/** The production wiring. Each property builds its adapter on first use. */
export const deps: Deps = lazily<Deps>({
  router: () => new Elbv2TrafficRouter(undefined, { sleep: pause }),
  health: () => new CloudWatchHealthSignals(),
  workloads: () => new EksWorkloads(),
  store: () =>
    new DynamoDbRolloutStore(requiredEnv(ENV.tableName), undefined, {
      executionIndexName: process.env[ENV.executionIndexName] ?? EXECUTION_INDEX,
    }),
  timer: () =>
    new SchedulerBakeTimer({
      groupName: requiredEnv(ENV.scheduleGroup),
      roleArn: requiredEnv(ENV.schedulerRoleArn),
      sweeperFunctionArn: process.env[ENV.sweeperFunctionArn],
    }),
  callbacks: () => new StepFunctionsCallbacks(),
  executions: () => new StepFunctionsExecutions(),
  events: () => new EventBridgeRolloutEvents(),
  notifier: () => new SnsNotifier(),
  clock: () => systemClock,
  fenceSeconds: () => fenceSecondsFrom(process.env[ENV.fenceSeconds]),
});

/** `SERINUS_FENCE_SECONDS`, or the default when it is unset or not a positive number. */
export function fenceSecondsFrom(value: string | undefined): number {
  const parsed = Number(value);
  return value && Number.isFinite(parsed) && parsed > 0 ? parsed : DEFAULT_FENCE_SECONDS;
}

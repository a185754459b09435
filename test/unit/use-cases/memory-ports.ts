/**
 * Small in-memory implementations of the ports, for use-case tests without the engine. Every call
 * lands in one journal, so a test can assert the order of calls across ports; `fail` makes a named
 * call throw, and `afterGet` lets a test end the record between a handler's read and its writes.
 */
import type { AlarmState, AlarmTransition, DeploymentRef, DeploymentSnapshot, RolloutRecord, RolloutStatus, SweepRequest, TrafficTarget, Weights } from '../../../lambda/domain/types';
import { safetyScheduleName } from '../../../lambda/domain/naming';
import type { RolloutEvent } from '../../../lambda/domain/rollout-events';
import { EXECUTION_ARN, LISTENER_ARN, rolloutRecord, rolloutRequest } from '../../support/fixtures';
import { DriftDetectedError, LockHeldError, RecordMismatchError } from '../../../lambda/errors';
import type {
  BakeTimer,
  Clock,
  ExecutionStatus,
  Executions,
  Fence,
  HealthSignals,
  Notifier,
  RestoreResult,
  RolloutEvents,
  RolloutStore,
  TaskCallbacks,
  TrafficRouter,
  Workloads,
  WriteWeightsOptions,
  WriteWeightsResult,
} from '../../../lambda/ports';

/** Calls that change something outside the handler. */
/** The image a rollout rolls out, and the one stable ran before it. */
export const CANDIDATE = 'checkout:1.4.2';
export const OLD = 'checkout:1.4.1';

/**
 * A world mid-rollout: the canary runs the candidate with 2 ready replicas, stable the old image
 * with 4, and the rollout's record (holding its safety schedule) has `fields`.
 */
export function midRollout(fields: Partial<RolloutRecord> = {}): World {
  const w = new World();
  w.deployments.set('checkout-canary', { images: { app: CANDIDATE }, replicas: 2, available: 2 });
  w.deployments.set('checkout', { images: { app: OLD }, replicas: 4, available: 4 });
  w.records.set(
    LISTENER_ARN,
    rolloutRecord({
      request: rolloutRequest({ images: { app: CANDIDATE } }),
      previousCanary: { images: { app: OLD }, replicas: 0 },
      safetySchedule: safetyScheduleName(LISTENER_ARN, EXECUTION_ARN),
      ...fields,
    }),
  );
  return w;
}

export const MUTATING = /^(store\.(update|release|end|acquire)|router\.modify|workloads\.(setImages|scale)|timer\.(schedule|scheduleSweep|cancel)|callbacks\.(succeed|fail))/;

export class World {
  readonly journal: string[] = [];
  readonly failing = new Set<string>();
  now = new Date('2025-03-01T12:10:00.000Z');
  records = new Map<string, RolloutRecord>();
  weights: Weights = { stable: 100, canary: 0 };
  /** `gone`: the listener or rule was deleted. */
  targetGone = false;
  healthy = 2;
  alarms: AlarmState[] = [{ name: 'checkout-5xx', state: 'OK', updatedAt: '2025-03-01T11:00:00.000Z' }];
  history: AlarmTransition[] = [];
  deployments = new Map<string, DeploymentSnapshot & { available: number }>();
  schedules = new Map<string, { at?: Date; request?: SweepRequest; taskToken?: string }>();
  execution: ExecutionStatus = 'RUNNING';
  /** Runs once after the next `store.get`: a stop and cleanup that land while the handler runs. */
  afterGet?: () => void;

  log(call: string): void {
    this.journal.push(call);
    if (this.failing.has(call.split(':')[0]!)) throw new Error(`${call} failed (injected)`);
  }

  /** The journal without reads, for order assertions. */
  mutations(): string[] {
    return this.journal.filter((c) => MUTATING.test(c) || c.startsWith('store.fence'));
  }

  endRecord(key: string): void {
    const record = this.records.get(key)!;
    this.records.set(key, { ...record, endedAt: this.now.toISOString(), phase: 'ended', generation: record.generation + 1 });
  }

  store: RolloutStore = {
    acquire: async (record) => {
      this.log('store.acquire');
      const held = this.records.get(record.targetKey);
      if (held && held.executionArn !== record.executionArn && held.expiresAt * 1000 >= this.now.getTime()) throw new LockHeldError('held');
      if (!held || held.executionArn !== record.executionArn) this.records.set(record.targetKey, record);
    },
    get: async (key) => {
      this.log('store.get');
      const record = this.records.get(key);
      const hook = this.afterGet;
      this.afterGet = undefined;
      hook?.();
      return record;
    },
    update: async (key, executionArn, set, remove = [], options = {}) => {
      this.log(`store.update:${Object.keys(set).join(',')}`);
      const record = this.records.get(key);
      if (!record || record.executionArn !== executionArn || (record.endedAt && !options.allowEnded)) throw new RecordMismatchError('not held');
      const next: Record<string, unknown> = { ...record, ...set };
      for (const field of remove) delete next[field];
      this.records.set(key, next as unknown as RolloutRecord);
      return next as unknown as RolloutRecord;
    },
    fence: async (key, executionArn, generation) => {
      this.log('store.fence');
      const record = this.records.get(key);
      if (!record || record.executionArn !== executionArn || record.endedAt || record.generation !== generation) {
        throw new RecordMismatchError('fenced');
      }
      this.records.set(key, { ...record, generation: generation + 1 });
      return generation + 1;
    },
    end: async (key, executionArn, until, why) => {
      this.log('store.end');
      const record = this.records.get(key);
      if (!record || record.executionArn !== executionArn) return undefined;
      const ended: RolloutRecord = {
        ...record,
        endedAt: this.now.toISOString(),
        endReason: why,
        phase: 'ended',
        generation: record.generation + 1,
        expiresAt: Math.ceil(until.getTime() / 1000),
      };
      this.records.set(key, ended);
      return ended;
    },
    release: async (key, executionArn) => {
      this.log('store.release');
      if (this.records.get(key)?.executionArn !== executionArn) return false;
      this.records.delete(key);
      return true;
    },
    findByExecution: async (executionArn) => {
      this.log('store.findByExecution');
      return [...this.records.values()].find((r) => r.executionArn === executionArn);
    },
    list: async () => {
      this.log('store.list');
      return [...this.records.values()];
    },
  };

  router: TrafficRouter = {
    readWeights: async () => {
      this.log('router.readWeights');
      return this.weights;
    },
    readTraffic: async () => {
      this.log('router.readWeights');
      return { weights: this.weights, canaryAttached: true };
    },
    writeWeights: async (_target: TrafficTarget, planned: Weights, options: WriteWeightsOptions = {}): Promise<WriteWeightsResult> => {
      const previous = this.weights;
      // The adapter decides from the read its write is built on.
      const weights = options.decide ? await options.decide(previous) : planned;
      if (!weights) return { previous, applied: previous, wrote: false };
      const same = previous.stable === weights.stable && previous.canary === weights.canary;
      if (options.expected && !same && (previous.stable !== options.expected.stable || previous.canary !== options.expected.canary)) {
        throw new DriftDetectedError('drift');
      }
      await options.fence?.();
      this.log(`router.modify:${weights.stable}/${weights.canary}`);
      this.weights = weights;
      return { previous, applied: weights, wrote: true };
    },
    attachCanary: async (_target, fence?: Fence) => {
      this.log('router.attachCanary');
      void fence;
      return false;
    },
    restoreStable: async (_target, fence?: Fence): Promise<RestoreResult> => {
      this.journal.push('router.restoreStable');
      if (this.targetGone) return { wrote: false, nothingToSteer: true, findings: ['the rule is gone'] };
      if (this.weights.canary === 0 && this.weights.stable > 0) return { wrote: false, nothingToSteer: false, findings: [] };
      await fence?.();
      this.log('router.modify:restore');
      this.weights = { stable: 100, canary: 0 };
      return { wrote: true, nothingToSteer: false, findings: [] };
    },
    healthyTargets: async () => {
      this.log('router.healthyTargets');
      return this.healthy;
    },
  };

  health: HealthSignals = {
    alarmStates: async () => {
      this.log('health.alarmStates');
      return this.alarms;
    },
    alarmHistory: async (_names, since) => {
      this.log(`health.alarmHistory:${since.toISOString()}`);
      return this.history.filter((t) => Date.parse(t.at) >= since.getTime());
    },
  };

  workloads: Workloads = {
    snapshot: async (ref: DeploymentRef) => {
      this.log(`workloads.snapshot:${ref.name}`);
      const d = this.deployment(ref.name);
      return { images: { ...d.images }, replicas: d.replicas };
    },
    setImages: async (ref, images) => {
      this.log(`workloads.setImages:${ref.name}:${Object.values(images).join(',')}`);
      const d = this.deployment(ref.name);
      this.deployments.set(ref.name, { ...d, images: { ...d.images, ...images } });
    },
    scale: async (ref, replicas) => {
      this.log(`workloads.scale:${ref.name}:${replicas}`);
      this.deployments.set(ref.name, { ...this.deployment(ref.name), replicas, available: replicas });
    },
    rolloutStatus: async (ref): Promise<RolloutStatus> => {
      this.log(`workloads.rolloutStatus:${ref.name}`);
      const d = this.deployment(ref.name);
      return { complete: d.available === d.replicas, failed: false, message: '', desired: d.replicas, updated: d.replicas, available: d.available };
    },
  };

  timer: BakeTimer = {
    schedule: async (name, at, taskToken) => {
      this.log(`timer.schedule:${name}`);
      this.schedules.set(name, { at, taskToken });
    },
    scheduleSweep: async (name, request, at) => {
      this.log(`timer.scheduleSweep:${request.kind}`);
      this.schedules.set(name, { at, request });
    },
    cancel: async (name) => {
      this.log(`timer.cancel:${name}`);
      this.schedules.delete(name);
    },
  };

  callbacks: TaskCallbacks = {
    succeed: async () => this.log('callbacks.succeed'),
    fail: async (_token, error) => this.log(`callbacks.fail:${error}`),
  };

  executions: Executions = {
    status: async () => {
      this.log('executions.status');
      return this.execution;
    },
  };

  /** Events published, in order. */
  readonly published: RolloutEvent[] = [];
  /** Messages sent to people, in order. */
  readonly notified: Array<{ topicArn: string; subject: string; message: string }> = [];

  events: RolloutEvents = {
    publish: async (event) => {
      this.log(`events.publish:${event.detailType}`);
      this.published.push(event);
    },
  };

  notifier: Notifier = {
    notify: async (topicArn, subject, message) => {
      this.log('notifier.notify');
      this.notified.push({ topicArn, subject, message });
    },
  };

  clock: Clock = { now: () => this.now };
  fenceSeconds = 360;

  private deployment(name: string): DeploymentSnapshot & { available: number } {
    return this.deployments.get(name) ?? { images: { app: 'checkout:1.4.1' }, replicas: 0, available: 0 };
  }
}

import { planRollback, type RollbackEnding } from '../domain/rollback';
import { reassertScheduleName, safetyScheduleName } from '../domain/naming';
import { factsOfRecord, rolloutEvent, RolloutEventTypes, type RolloutEventType } from '../domain/rollout-events';
import { STABLE_ONLY, type RollbackPace, type RolloutRecord, type SweepRequest, type TrafficTarget } from '../domain/types';
import { canaryWeights, formatWeights } from '../domain/weights';
import { ErrorNames } from '../errors';
import type { BakeTimer, Clock, Executions, RolloutEvents, RolloutStore, TrafficRouter, Workloads } from '../ports';
import { countEvent, logger } from '../shared/observability';
import { announce, weightChanged } from './announce';
import { canaryRef, fenceOf, stableRef } from './context';
import { dropSafetySchedule } from './lock';
import { closeTesterRoute } from './tester-route';

export interface RollbackDeps {
  readonly store: RolloutStore;
  readonly router: TrafficRouter;
  readonly workloads: Workloads;
  readonly timer: BakeTimer;
  readonly clock: Clock;
  /** How long a handler of an ended execution may still be running (the longest function timeout plus a margin). */
  readonly fenceSeconds: number;
  /** Where the Rolled Back and Aborted events go; published last, so they never delay the revert. */
  readonly events?: RolloutEvents;
  /** The pauses of a gradual rollback. @default - real time */
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface RollbackOutcome {
  /** Whether this execution held the lock, so there was more than traffic to undo. */
  readonly held: boolean;
  /** What was undone, in order. */
  readonly undone: string[];
  /** What the traffic revert found besides stable and canary (a third target group, stable missing, …). */
  readonly findings: string[];
}

export interface RollbackArgs {
  readonly targetKey: string;
  readonly executionArn: string;
  readonly traffic: TrafficTarget;
  /**
   * The execution held the lock when it failed (every state after Lock): traffic goes to stable
   * before anything is read. False for Lock's own failure: the record is read first, and nothing
   * is touched unless this execution holds it.
   */
  readonly heldLock: boolean;
  /** Walk the canary's weight down instead of one write (the target's `rollbackPace`). @default - at once */
  readonly pace?: RollbackPace;
  /** The error the execution fails with: a health failure reverts at once unless the pace says `evenOnAlarm`. */
  readonly error?: string;
}

interface TrafficOutcome {
  readonly undone: string[];
  readonly findings: string[];
}

/**
 * Traffic first: the listener write is the first call of every revert, so no other dependency's
 * failure (DynamoDB, Scheduler, Kubernetes) can keep traffic on the canary. `restoreStable` never
 * refuses; a target that is gone has nothing to steer, and the lock is released all the same.
 */
async function trafficToStable(router: TrafficRouter, traffic: TrafficTarget): Promise<TrafficOutcome> {
  const result = await router.restoreStable(traffic);
  // After the traffic, so it never delays the revert.
  await closeTesterRoute(router, traffic);
  const sentence = result.nothingToSteer
    ? 'nothing left to steer: the listener or rule is gone or forwards nowhere, so the lock is released without a traffic change'
    : result.wrote
      ? 'shift all traffic to the stable target group (canary weight 0)'
      : 'traffic was already on the stable target group (canary weight 0)';
  if (result.findings.length > 0) logger.warn('the forward action held more than stable and canary', { findings: result.findings });
  return { undone: [sentence], findings: result.findings };
}

/**
 * Everything after the traffic, from the record: end it (so a handler still running is fenced out),
 * drop the bake schedule, restore the Deployments, then release the lock (`release`) or keep it
 * ended and schedule the reassert (`fence`). Every step is idempotent.
 */
async function undoRest(
  deps: RollbackDeps,
  record: RolloutRecord,
  why: string,
  traffic: TrafficOutcome,
  mode: 'release' | 'fence',
  ending: RolloutEventType = RolloutEventTypes.rolledBack,
): Promise<RollbackOutcome> {
  const now = deps.clock.now();
  const until = mode === 'release' ? now : new Date(now.getTime() + deps.fenceSeconds * 1000);
  const rollbackEnding: RollbackEnding = mode === 'release' ? { kind: 'release' } : { kind: 'fence', reassertAt: until.toISOString() };
  const plan = planRollback(record, rollbackEnding);
  logger.warn('rolling back', { why, steps: plan.steps, targetKey: record.targetKey });

  await deps.store.end(record.targetKey, record.executionArn, until, why);
  if (plan.cancelSchedule) await deps.timer.cancel(plan.cancelSchedule);
  await revertWorkloads(deps, record, plan);
  const request = sweepRequest(record, 'reassert');
  if (mode === 'fence') {
    await deps.timer.scheduleSweep(reassertScheduleName(record.targetKey, record.executionArn), request, until);
  } else {
    await deps.store.release(record.targetKey, record.executionArn);
    await dropSafetySchedule(deps.timer, safetyOf(record));
  }
  countEvent('RolloutsRolledBack', record.service);
  weightChanged(record.service, STABLE_ONLY);
  await announce(deps.events, rolloutEvent(ending, factsOfRecord(record, STABLE_ONLY, why)));
  return { held: true, undone: [...traffic.undone, ...plan.steps], findings: traffic.findings };
}

async function revertWorkloads(deps: Pick<RollbackDeps, 'workloads'>, record: RolloutRecord, plan = planRollback(record)): Promise<void> {
  if (plan.restoreStable) await deps.workloads.setImages(stableRef(record.target), plan.restoreStable.images);
  if (plan.canary) {
    const ref = canaryRef(record.target);
    if (plan.canary.images) await deps.workloads.setImages(ref, plan.canary.images);
    await deps.workloads.scale(ref, plan.canary.replicas);
  }
}

/** Failures of the canary's health: its traffic goes at once, a walk down would serve more errors. */
const HEALTH_FAILURES = new Set<string>([ErrorNames.CanaryUnhealthy, ErrorNames.NoHealthyTargets]);

/**
 * A gradual rollback's walk: the canary's weight goes down in `pace.steps` equal writes,
 * `pace.intervalSeconds` apart, each fenced, before the instant restore that always follows. It
 * never blocks the revert: a fence that fails (cleanup took over), an error, or weights serinus did
 * not write cut the walk short, and the restore runs at once.
 */
async function walkDown(deps: RollbackDeps, args: RollbackArgs, pace: RollbackPace): Promise<string[]> {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const walked: string[] = [];
  try {
    const record = await deps.store.get(args.targetKey);
    if (!record || record.executionArn !== args.executionArn || record.endedAt) return walked;
    const fence = fenceOf(deps.store, record);
    const from = (await deps.router.readWeights(args.traffic)).canary;
    for (let step = 1; step < pace.steps; step++) {
      const weight = Math.floor((from * (pace.steps - step)) / pace.steps);
      if (weight <= 0) break;
      const wanted = canaryWeights(weight);
      // Only ever down: a live canary share already at or below this step is left as it is.
      const { wrote } = await deps.router.writeWeights(args.traffic, wanted, {
        fence,
        decide: async (live) => (live.stable + live.canary === 100 && live.canary > weight ? wanted : undefined),
      });
      if (!wrote) break;
      walked.push(formatWeights(wanted));
      await sleep(pace.intervalSeconds * 1000);
    }
  } catch (error) {
    logger.warn('gradual rollback cut short; the traffic goes to stable at once', { error: error as Error });
  }
  return walked;
}

/** Rollback of the execution that is running it: traffic, then only its own record, never another holder's. */
export async function rollbackExecution(deps: RollbackDeps, args: RollbackArgs, why: string): Promise<RollbackOutcome> {
  if (args.heldLock) {
    const gradual = args.pace && (args.pace.evenOnAlarm || !HEALTH_FAILURES.has(args.error ?? ''));
    const walked = gradual ? await walkDown(deps, args, args.pace!) : [];
    const restored = await trafficToStable(deps.router, args.traffic);
    const traffic = walked.length > 0 ? { ...restored, undone: [`walk the canary's weight down (${walked.join(', ')})`, ...restored.undone] } : restored;
    const record = await deps.store.get(args.targetKey);
    if (!record || record.executionArn !== args.executionArn) {
      logger.info('traffic is on stable; this execution holds no lock, so nothing more to undo', { targetKey: args.targetKey });
      return { held: false, undone: traffic.undone, findings: traffic.findings };
    }
    return undoRest(deps, record, why, traffic, 'release');
  }
  const record = await deps.store.get(args.targetKey);
  if (!record || record.executionArn !== args.executionArn) {
    logger.info('nothing to roll back: this execution holds no lock', { targetKey: args.targetKey });
    return { held: false, undone: [], findings: [] };
  }
  const traffic = await trafficToStable(deps.router, record.target.traffic);
  return undoRest(deps, record, why, traffic, 'release');
}

/**
 * An execution ended ABORTED, TIMED_OUT or FAILED: undo whatever its record still holds. Step
 * Functions does not wait for a running Lambda, so one may still be mid-call: the record stays
 * ended (fencing it out) until the reassert reverts again and releases it.
 */
export async function cleanupExecution(deps: RollbackDeps, executionArn: string, status: string): Promise<RollbackOutcome> {
  const record = await deps.store.findByExecution(executionArn);
  if (!record) return { held: false, undone: [], findings: [] };
  const traffic = await trafficToStable(deps.router, record.target.traffic);
  return undoRest(deps, record, `execution ended ${status}`, traffic, 'fence', endingOf(status));
}

export type SweepDeps = RollbackDeps & { readonly executions: Executions };

export interface SweepOutcome {
  readonly checked: number;
  /** Executions whose rollout this sweep reverted (and ended, or released). */
  readonly swept: string[];
}

/**
 * The sweeper. With a request from a schedule it looks at that one rollout: `safety` (every few
 * minutes while the rollout holds the target) cleans up an execution that ended without its status
 * event, and releases an ended record whose fence has passed; `reassert` reverts an ended rollout
 * again and releases it. Without one (an empty event) it sweeps every record.
 */
export async function sweep(deps: SweepDeps, request?: SweepRequest): Promise<SweepOutcome> {
  if (!request) return sweepAll(deps);
  const record = await deps.store.get(request.targetKey);
  if (!record || record.executionArn !== request.executionArn) {
    // Released already, or taken over by a later rollout: this schedule guards nothing any more.
    await deps.timer.cancel(safetyScheduleName(request.targetKey, request.executionArn));
    return { checked: 0, swept: [] };
  }
  const done = request.kind === 'reassert' && record.endedAt ? await reassert(deps, record) : await sweepRecord(deps, record);
  return { checked: 1, swept: done ? [record.executionArn] : [] };
}

async function sweepAll(deps: SweepDeps): Promise<SweepOutcome> {
  const records = await deps.store.list();
  const swept: string[] = [];
  const failures: string[] = [];
  for (const record of records) {
    try {
      if (await sweepRecord(deps, record)) swept.push(record.executionArn);
    } catch (error) {
      logger.error('sweeper could not undo a rollout', { executionArn: record.executionArn, error: error as Error });
      failures.push(`${record.executionArn}: ${(error as Error).message}`);
    }
  }
  if (failures.length > 0) throw new Error(`sweeper could not undo ${failures.length} rollout(s): ${failures.join('; ')}`);
  return { checked: records.length, swept };
}

/** @returns whether it reverted something. */
async function sweepRecord(deps: SweepDeps, record: RolloutRecord): Promise<boolean> {
  if (record.endedAt) {
    // Ended by cleanup: once the fence has passed no handler can still write, so revert again and release.
    if (deps.clock.now().getTime() < record.expiresAt * 1000) return false;
    return reassert(deps, record);
  }
  const status = await deps.executions.status(record.executionArn);
  if (status === 'RUNNING') return false;
  const traffic = await trafficToStable(deps.router, record.target.traffic);
  await undoRest(deps, record, `sweeper found execution ${status}`, traffic, 'fence', endingOf(status));
  return true;
}

/** After the fence: traffic to stable again, the Deployments again, then the lock and the safety schedule go. */
async function reassert(deps: SweepDeps, record: RolloutRecord): Promise<boolean> {
  const traffic = await trafficToStable(deps.router, record.target.traffic);
  await revertWorkloads(deps, record);
  await deps.store.release(record.targetKey, record.executionArn);
  await dropSafetySchedule(deps.timer, safetyOf(record));
  logger.info('revert asserted again after the fence; lock released', { targetKey: record.targetKey, traffic: traffic.undone });
  return true;
}

/** A stopped execution was aborted by someone; any other end is a rollback. */
function endingOf(status: string): RolloutEventType {
  return status === 'ABORTED' ? RolloutEventTypes.aborted : RolloutEventTypes.rolledBack;
}

function sweepRequest(record: RolloutRecord, kind: SweepRequest['kind']): SweepRequest {
  return { kind, executionArn: record.executionArn, targetKey: record.targetKey, traffic: record.target.traffic };
}

function safetyOf(record: RolloutRecord): string {
  return record.safetySchedule ?? safetyScheduleName(record.targetKey, record.executionArn);
}

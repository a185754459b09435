import { planRollback } from '../domain/rollback';
import type { RolloutRecord } from '../domain/types';
import type { BakeTimer, Executions, RolloutStore, TrafficRouter, Workloads } from '../ports';
import { countEvent, logger } from '../shared/observability';
import { canaryRef, stableRef } from './context';

export interface RollbackDeps {
  readonly store: RolloutStore;
  readonly router: TrafficRouter;
  readonly workloads: Workloads;
  readonly timer: BakeTimer;
}

export interface RollbackOutcome {
  /** Whether this execution held the lock, so there was something to undo. */
  readonly held: boolean;
  /** What was undone, in order. */
  readonly undone: string[];
}

/**
 * Undoes a rollout from its record: traffic to stable first, then the stable images if promotion
 * had started, then the canary, then the lock. Every action is idempotent, so a retry or a second
 * caller (cleanup after rollback, the sweeper) repeats it safely.
 */
export async function undoRollout(deps: RollbackDeps, record: RolloutRecord, why: string): Promise<RollbackOutcome> {
  const plan = planRollback(record);
  logger.warn('rolling back', { why, steps: plan.steps, targetKey: record.targetKey });
  await deps.store.update(record.targetKey, record.executionArn, { phase: 'rolling-back' });
  if (plan.cancelSchedule) await deps.timer.cancel(plan.cancelSchedule);
  await deps.router.writeWeights(record.target.traffic, plan.weights);
  await deps.store.update(record.targetKey, record.executionArn, { lastWrittenWeights: plan.weights });
  if (plan.restoreStable) await deps.workloads.setImages(stableRef(record.target), plan.restoreStable.images);
  if (plan.canary) {
    const ref = canaryRef(record.target);
    if (plan.canary.images) await deps.workloads.setImages(ref, plan.canary.images);
    await deps.workloads.scale(ref, plan.canary.replicas);
  }
  await deps.store.release(record.targetKey, record.executionArn);
  countEvent('RolloutsRolledBack', record.service);
  return { held: true, undone: plan.steps };
}

/** Rollback of the execution that is running it: only its own record, never another holder's. */
export async function rollbackExecution(
  deps: RollbackDeps,
  targetKey: string,
  executionArn: string,
  why: string,
): Promise<RollbackOutcome> {
  const record = await deps.store.get(targetKey);
  if (!record || record.executionArn !== executionArn) {
    logger.info('nothing to roll back: this execution holds no lock', { targetKey });
    return { held: false, undone: [] };
  }
  return undoRollout(deps, record, why);
}

/** An execution ended ABORTED, TIMED_OUT or FAILED: undo whatever its record still holds. */
export async function cleanupExecution(
  deps: RollbackDeps,
  executionArn: string,
  status: string,
): Promise<RollbackOutcome> {
  const record = await deps.store.findByExecution(executionArn);
  if (!record) return { held: false, undone: [] };
  return undoRollout(deps, record, `execution ended ${status}`);
}

/**
 * Finds records whose execution is no longer running (a lost status event) and undoes them. One
 * record that cannot be undone does not stop the others; the sweep then fails so it is seen.
 */
export async function sweep(
  deps: RollbackDeps & { executions: Executions },
): Promise<{ checked: number; swept: string[] }> {
  const records = await deps.store.list();
  const swept: string[] = [];
  const failures: string[] = [];
  for (const record of records) {
    try {
      const status = await deps.executions.status(record.executionArn);
      if (status === 'RUNNING') continue;
      await undoRollout(deps, record, `sweeper found execution ${status}`);
      swept.push(record.executionArn);
    } catch (error) {
      logger.error('sweeper could not undo a rollout', { executionArn: record.executionArn, error: error as Error });
      failures.push(`${record.executionArn}: ${(error as Error).message}`);
    }
  }
  if (failures.length > 0) throw new Error(`sweeper could not undo ${failures.length} rollout(s): ${failures.join('; ')}`);
  return { checked: records.length, swept };
}

/**
 * A person-readable cause for the failed execution (CodePipeline shows it). Lambda errors arrive
 * as a JSON Cause with errorType and errorMessage.
 */
export function describeFailure(error: { Error?: string; Cause?: string } | undefined): string {
  if (!error) return 'unknown error';
  let message = error.Cause ?? '';
  try {
    const parsed = JSON.parse(message) as { errorMessage?: string };
    if (parsed.errorMessage) message = parsed.errorMessage;
  } catch {
    // Not JSON: a Step Functions error such as States.Timeout carries plain text.
  }
  return `${error.Error ?? 'Error'}: ${message || 'no cause given'}`;
}

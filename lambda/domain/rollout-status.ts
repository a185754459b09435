/**
 * Whether a Deployment's rollout is done, decided the way `kubectl rollout status` decides it.
 */
import type { RolloutStatus } from './types';

/** The parts of a Deployment (metadata, spec, status) the decision reads. */
export interface DeploymentFields {
  readonly generation?: number;
  readonly observedGeneration?: number;
  readonly specReplicas?: number;
  readonly updatedReplicas?: number;
  readonly readyReplicas?: number;
  readonly availableReplicas?: number;
  /** `status.replicas`: every pod of every ReplicaSet, old ones included. */
  readonly replicas?: number;
  readonly conditions?: ReadonlyArray<{ type: string; status: string; reason?: string; message?: string }>;
}

/**
 * Follows kubectl's DeploymentStatusViewer: the spec must be observed, the Progressing
 * condition must not report ProgressDeadlineExceeded, every desired replica must be updated,
 * no old replica may remain, and every updated replica must be available.
 * @param name the Deployment's name, for the messages.
 */
export function evaluateRolloutStatus(d: DeploymentFields, name?: string): RolloutStatus {
  const subject = name ? `deployment "${name}"` : 'deployment';
  // The API server defaults spec.replicas to 1, so a missing value means one.
  const desired = d.specReplicas ?? 1;
  const updated = d.updatedReplicas ?? 0;
  const available = d.availableReplicas ?? 0;
  const total = d.replicas ?? 0;
  const counts = { desired, updated, available };
  const waiting = (message: string): RolloutStatus => ({ complete: false, failed: false, message, ...counts });

  // kubectl compares with missing fields as 0; a missing observedGeneration is treated as not
  // yet observed instead, because it only happens before the controller has written a status.
  if (d.observedGeneration === undefined || (d.generation ?? 0) > d.observedGeneration) {
    return waiting(`Waiting for ${subject} spec update to be observed`);
  }
  const progressing = d.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    const why = progressing.message ? `: ${progressing.message}` : '';
    return { complete: false, failed: true, message: `${subject} exceeded its progress deadline${why}`, ...counts };
  }
  const hint = replicaFailureHint(d);
  if (updated < desired) {
    return waiting(`Waiting for ${subject} rollout to finish: ${updated} out of ${desired} new replicas have been updated${hint}`);
  }
  if (total > updated) {
    return waiting(`Waiting for ${subject} rollout to finish: ${total - updated} old replicas are pending termination${hint}`);
  }
  if (available < updated) {
    return waiting(`Waiting for ${subject} rollout to finish: ${available} of ${updated} updated replicas are available${hint}`);
  }
  return { complete: true, failed: false, message: `${subject} successfully rolled out`, ...counts };
}

/** A ReplicaFailure condition (quota, admission webhook) explains a wait that will not end by itself. */
function replicaFailureHint(d: DeploymentFields): string {
  const failure = d.conditions?.find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
  if (!failure) {
    return '';
  }
  return ` (ReplicaFailure: ${failure.message ?? failure.reason ?? 'no message'})`;
}

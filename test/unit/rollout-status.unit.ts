import { evaluateRolloutStatus, type DeploymentFields } from '../../lambda/domain/rollout-status';
import type { RolloutStatus } from '../../lambda/domain/types';

const PROGRESSING_OK = { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' };
const AVAILABLE = { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' };

/** A Deployment of three replicas that has finished rolling out. */
const DONE: DeploymentFields = {
  generation: 4,
  observedGeneration: 4,
  specReplicas: 3,
  updatedReplicas: 3,
  readyReplicas: 3,
  availableReplicas: 3,
  replicas: 3,
  conditions: [AVAILABLE, PROGRESSING_OK],
};

describe('evaluateRolloutStatus', () => {
  it.each<[string, DeploymentFields, RolloutStatus]>([
    [
      'a finished rollout',
      DONE,
      { complete: true, failed: false, message: 'deployment "app-canary" successfully rolled out', desired: 3, updated: 3, available: 3 },
    ],
    [
      'a spec the controller has not seen',
      { ...DONE, generation: 5 },
      { complete: false, failed: false, message: 'Waiting for deployment "app-canary" spec update to be observed', desired: 3, updated: 3, available: 3 },
    ],
    [
      'a Deployment with no status yet',
      { generation: 1, specReplicas: 2 },
      { complete: false, failed: false, message: 'Waiting for deployment "app-canary" spec update to be observed', desired: 2, updated: 0, available: 0 },
    ],
    [
      'a missed progress deadline',
      {
        ...DONE,
        updatedReplicas: 1,
        availableReplicas: 2,
        conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "app-canary-7d9" has timed out progressing.' }],
      },
      {
        complete: false,
        failed: true,
        message: 'deployment "app-canary" exceeded its progress deadline: ReplicaSet "app-canary-7d9" has timed out progressing.',
        desired: 3,
        updated: 1,
        available: 2,
      },
    ],
    [
      'a missed progress deadline without a message',
      { ...DONE, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] },
      { complete: false, failed: true, message: 'deployment "app-canary" exceeded its progress deadline', desired: 3, updated: 3, available: 3 },
    ],
    [
      'replicas not yet updated',
      { ...DONE, updatedReplicas: 1, availableReplicas: 3, replicas: 4 },
      { complete: false, failed: false, message: 'Waiting for deployment "app-canary" rollout to finish: 1 out of 3 new replicas have been updated', desired: 3, updated: 1, available: 3 },
    ],
    [
      'old replicas still terminating',
      { ...DONE, replicas: 5 },
      { complete: false, failed: false, message: 'Waiting for deployment "app-canary" rollout to finish: 2 old replicas are pending termination', desired: 3, updated: 3, available: 3 },
    ],
    [
      'updated replicas not yet available',
      { ...DONE, availableReplicas: 1 },
      { complete: false, failed: false, message: 'Waiting for deployment "app-canary" rollout to finish: 1 of 3 updated replicas are available', desired: 3, updated: 3, available: 1 },
    ],
    [
      'a wait that a ReplicaFailure explains',
      {
        ...DONE,
        updatedReplicas: 0,
        availableReplicas: 0,
        replicas: 0,
        conditions: [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'exceeded quota: compute-resources' }, PROGRESSING_OK],
      },
      {
        complete: false,
        failed: false,
        message: 'Waiting for deployment "app-canary" rollout to finish: 0 out of 3 new replicas have been updated (ReplicaFailure: exceeded quota: compute-resources)',
        desired: 3,
        updated: 0,
        available: 0,
      },
    ],
    [
      'a Deployment scaled to zero',
      { generation: 7, observedGeneration: 7, specReplicas: 0, conditions: [PROGRESSING_OK] },
      { complete: true, failed: false, message: 'deployment "app-canary" successfully rolled out', desired: 0, updated: 0, available: 0 },
    ],
    [
      'a Deployment scaled to zero whose pods are still terminating',
      { generation: 7, observedGeneration: 7, specReplicas: 0, replicas: 2, availableReplicas: 2 },
      { complete: false, failed: false, message: 'Waiting for deployment "app-canary" rollout to finish: 2 old replicas are pending termination', desired: 0, updated: 0, available: 2 },
    ],
    [
      'an observed generation ahead of a missing generation',
      { observedGeneration: 1, updatedReplicas: 1, availableReplicas: 1, replicas: 1 },
      { complete: true, failed: false, message: 'deployment "app-canary" successfully rolled out', desired: 1, updated: 1, available: 1 },
    ],
  ])('reports %s', (_label, fields, expected) => {
    // Act
    const status = evaluateRolloutStatus(fields, 'app-canary');

    // Assess
    expect(status).toEqual(expected);
  });

  it('leaves the name out of the message when none is given', () => {
    // Act
    const status = evaluateRolloutStatus({ ...DONE, availableReplicas: 1 });

    // Assess
    expect(status.message).toBe('Waiting for deployment rollout to finish: 1 of 3 updated replicas are available');
  });
});

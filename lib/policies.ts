/**
 * The construct's choices, as enums: each value is the word the execution input and the rollout
 * record use (lambda/domain/types.ts), so a value passes through unchanged.
 */

/** Where a rollout waits for a person's approval. */
export enum Approval {
  /** Never. */
  NONE = 'none',
  /** Before any traffic reaches the canary. */
  BEFORE_TRAFFIC = 'beforeTraffic',
  /** After the last step's bake, before the stable Deployment is promoted. */
  BEFORE_PROMOTE = 'beforePromote',
  /** Before every traffic step and before the promotion. */
  EVERY_STEP = 'everyStep',
}

/** How an alarm in INSUFFICIENT_DATA at the end of a bake counts. */
export enum InsufficientData {
  HEALTHY = 'healthy',
  UNHEALTHY = 'unhealthy',
}

/** What happens to the canary Deployment after a promotion. */
export enum AfterPromotion {
  /** Scale it to zero replicas. */
  SCALE_CANARY_TO_ZERO = 'scaleCanaryToZero',
  /** Leave it running, at weight 0. */
  KEEP_CANARY = 'keepCanary',
}

/** What a rollout does when the live weights differ from the last weights it wrote. */
export enum OnDrift {
  /** Fail with DriftDetected and roll back. */
  REVERT = 'revert',
  /** Carry on from the live weights. */
  ADOPT = 'adopt',
}

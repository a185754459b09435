/**
 * Settings every AWS SDK client in the runtime shares. Adaptive retry backs off on throttling
 * (ELBv2's token buckets are per account and region, so concurrent rollouts share them).
 */
export const clientConfig = {
  retryMode: 'adaptive',
  maxAttempts: 8,
} as const;

/**
 * Settings every AWS SDK client in the runtime shares. Adaptive retry backs off on throttling
 * (ELBv2's token buckets are per account and region, so concurrent rollouts share them).
 */
export const clientConfig = {
  retryMode: 'adaptive',
  maxAttempts: 8,
} as const;

/** The name the SDK gives its logging middleware in every client's stack. */
export const SDK_LOGGER_MIDDLEWARE = 'loggerMiddleware';

/**
 * The client without the SDK's logging middleware. The runtime gives the SDK no logger (it logs
 * through its own), yet that middleware runs on every call: it walks the operation's schema to
 * mask sensitive members in a copy of the input and the output, then hands both to the no-op
 * logger, which drops them. Every runtime client is built through here.
 */
export function withoutSdkLogging<C extends { readonly middlewareStack: { remove(name: string): boolean } }>(client: C): C {
  client.middlewareStack.remove(SDK_LOGGER_MIDDLEWARE);
  return client;
}

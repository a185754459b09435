/**
 * Serves AWS SDK commands from an in-memory fake INSIDE the client's own middleware stack.
 *
 * Each client instance gets, on its first `send`, a terminal middleware right after the retry
 * middleware, where the request would be signed and sent. It answers `{ output, response }` from
 * the fake instead, so everything above it runs for real: input serialization, endpoint
 * resolution, the credentials the request would be signed with and, above all, the retry
 * middleware with the client's own standard or adaptive strategy. The SigV4 signature itself is
 * not computed: no fake reads it, and it cost more than the fake's own work. A throttled or 5xx
 * answer from a fake is therefore retried (or not) exactly as the SDK would, and `$metadata.attempts`
 * says how many tries it took.
 *
 * Retries are real but time-compressed: the strategy's backoff delays and the adaptive rate
 * limiter's clock run `timeScale` times faster (default 1000: a 1 s throttling backoff takes 1 ms),
 * so no test waits seconds. `setRetryTimeScale(1)` restores real time.
 */
import { HttpRequest, HttpResponse } from '@smithy/protocol-http';

/** One attempt the SDK sends, as the fake sees it. */
export interface InterceptedRequest {
  /** The client class the command was sent through. */
  readonly clientClass: ClientClass;
  /** The command class name as sent (`ModifyListenerCommand`, lib-dynamodb's `PutCommand`). */
  readonly commandName: string;
  /** The input as given to the command (for lib-dynamodb commands: native JavaScript values). */
  readonly input: unknown;
  /** The client instance (its `config`, e.g. lib-dynamodb's `translateConfig`). */
  readonly client: SdkClient;
  /** 1 for the first try, 2 for the first retry, … */
  readonly attempt: number;
}

/** Answers one attempt: the output members (without `$metadata`), or throws the SDK error. */
export type FakeRoute = (request: InterceptedRequest) => unknown;

export interface Interception {
  /** Stops serving this class from the route; the real `send` comes back once nothing else serves it. */
  restore(): void;
}

export interface SdkClient {
  readonly config: Record<string, unknown> & { retryStrategy?: () => Promise<unknown> };
  readonly middlewareStack: {
    add(middleware: unknown, options: Record<string, unknown>): void;
    addRelativeTo(middleware: unknown, options: Record<string, unknown>): void;
    /** The middleware in the stack, as `name - step` lines. */
    identify(): string[];
  };
}

export interface ClientClass {
  readonly name: string;
  readonly prototype: object;
}

type Send = (this: SdkClient, command: { input?: unknown; constructor: { name: string } }, ...rest: unknown[]) => unknown;

interface Served {
  readonly routes: Array<{ route: FakeRoute }>;
  readonly previous: PropertyDescriptor | undefined;
}

const served = new Map<ClientClass, Served>();
/** Which client class and command an input object was sent with (a command's input reaches the middleware as is). */
const sent = new WeakMap<object, { clientClass: ClientClass; commandName: string }>();
const prepared = new WeakSet<object>();
const INPUT = Symbol('localFakeInput');
const REQUEST_HEADER = 'amz-sdk-request';

let timeScale = 1000;
let realSetTimeoutFn: ((fn: () => void, delay: number) => unknown) | undefined;
let rateLimiterClass: { setTimeoutFn: (fn: () => void, delay: number) => unknown } | undefined;

/** How much faster than real time retry backoffs and the adaptive rate limiter run. @default 1000 */
export function setRetryTimeScale(scale: number): void {
  if (!(scale >= 1)) throw new Error(`retry time scale must be ≥ 1, got ${scale}`);
  timeScale = scale;
}

/**
 * Serves every instance of `clientClass` (module-level ones included) from `route` until
 * `restore()`. A later interception of the same class takes precedence until it is restored.
 */
export function serveFromFake(clientClass: ClientClass, route: FakeRoute): Interception {
  let entry = served.get(clientClass);
  if (!entry) {
    const prototype = clientClass.prototype as { send: Send };
    const previous = Object.getOwnPropertyDescriptor(prototype, 'send');
    const inherited: Send = prototype.send;
    entry = { routes: [], previous };
    served.set(clientClass, entry);
    const wrapper: Send = function (this: SdkClient, command, ...rest) {
      if (command?.input !== null && typeof command?.input === 'object') {
        sent.set(command.input, { clientClass, commandName: command.constructor.name });
      }
      prepare(this, clientClass);
      return inherited.call(this, command, ...rest);
    };
    Object.defineProperty(prototype, 'send', { value: wrapper, writable: true, configurable: true });
  }
  const registration = { route };
  entry.routes.push(registration);
  patchRateLimiterSleep();
  let restored = false;
  return {
    restore() {
      if (restored) return;
      restored = true;
      const current = served.get(clientClass);
      if (!current) return;
      current.routes.splice(current.routes.indexOf(registration), 1);
      if (current.routes.length > 0) return;
      served.delete(clientClass);
      const prototype = clientClass.prototype as Record<string, unknown>;
      if (current.previous) Object.defineProperty(prototype, 'send', current.previous);
      else delete prototype.send;
      if (served.size === 0) unpatchRateLimiterSleep();
    },
  };
}

/** Adds the input capture and the terminal middleware to this client's stack, once. */
function prepare(client: SdkClient, clientClass: ClientClass): void {
  const stack = client.middlewareStack as object;
  if (prepared.has(stack)) return;
  prepared.add(stack);
  compressRetries(client);
  client.middlewareStack.add(
    (next: (args: unknown) => Promise<unknown>, context: Record<PropertyKey, unknown>) => async (args: { input: unknown }) => {
      context[INPUT] = args.input;
      return next(args);
    },
    { step: 'initialize', priority: 'high', name: 'localFakeInput', override: true },
  );
  client.middlewareStack.addRelativeTo(
    (next: (args: unknown) => Promise<unknown>, context: Record<PropertyKey, unknown>) =>
      async (args: { input: unknown; request?: unknown }) => {
        const input = context[INPUT] ?? args.input;
        const origin = input !== null && typeof input === 'object' ? sent.get(input) : undefined;
        const target = origin?.clientClass ?? clientClass;
        const route = served.get(target)?.routes.at(-1)?.route;
        if (!route) return next(args);
        const commandName = origin?.commandName ?? String(context.commandName ?? 'UnknownCommand');
        const attempt = attemptOf(args.request);
        const requestId = `local-${Math.random().toString(16).slice(2, 10)}`;
        try {
          const output = (await route({ clientClass: target, commandName, input, client, attempt })) as Record<string, unknown> | undefined;
          const metadata = { httpStatusCode: 200, ...(output?.$metadata as object | undefined), requestId };
          return {
            output: { ...output, $metadata: metadata },
            response: new HttpResponse({ statusCode: metadata.httpStatusCode, headers: { 'x-amzn-requestid': requestId }, body: undefined }),
          };
        } catch (error) {
          throw asServiceFailure(error, requestId);
        }
      },
    // Each attempt of the retry loop, with its `amz-sdk-request` header, before it is signed.
    { relation: 'before', toMiddleware: 'httpSigningMiddleware', name: 'localFakeTerminal', override: true },
  );
}

/** The attempt number the retry middleware wrote into the request (`attempt=2; max=8`). */
function attemptOf(request: unknown): number {
  if (!HttpRequest.isInstance(request)) return 1;
  const match = /attempt=(\d+)/.exec(String(request.headers[REQUEST_HEADER] ?? ''));
  return match ? Number(match[1]) : 1;
}

/** Gives an error the shape the deserializer gives service errors, so the retry middleware classifies it. */
function asServiceFailure(error: unknown, requestId: string): unknown {
  if (error === null || typeof error !== 'object') return error;
  const failure = error as { $metadata?: Record<string, unknown>; $response?: unknown; $fault?: string };
  if (!failure.$metadata) return error;
  failure.$metadata = { ...failure.$metadata, requestId: failure.$metadata.requestId ?? requestId };
  const status = failure.$metadata.httpStatusCode;
  // A network failure (no status) has no response; a service error has one, as the deserializer leaves it.
  if (failure.$response === undefined && typeof status === 'number') {
    failure.$response = new HttpResponse({ statusCode: status, headers: { 'x-amzn-requestid': requestId }, body: undefined });
  }
  return error;
}

interface RateLimiterShape {
  getCurrentTimeInSeconds?: () => number;
  lastThrottleTime?: number;
  lastTxRateBucket?: number;
  constructor: unknown;
}

interface RetryStrategyShape {
  standardRetryStrategy?: RetryStrategyShape;
  retryBackoffStrategy?: { computeNextBackoffDelay(i: number): number };
  rateLimiter?: RateLimiterShape;
  /** The retry quota of the standard strategy. */
  capacity?: number;
  constructor: unknown;
}

const compressed = new Set<RetryStrategyShape>();

/**
 * Gives every client's retry strategy served so far the state a new client starts with: a full
 * retry quota and an adaptive rate limiter that has seen no throttling, as in a new Lambda
 * container. A client keeps both for as long as its module lives, so without this one run's
 * throttles slow (and its retries drain) every later run of the process.
 */
export function coldRetryState(): void {
  for (const strategy of compressed) {
    const standard = strategy.standardRetryStrategy ?? strategy;
    if (typeof standard.capacity === 'number') {
      standard.capacity = new (standard.constructor as new () => RetryStrategyShape)().capacity;
    }
    const limiter = strategy.rateLimiter;
    if (limiter && typeof limiter.getCurrentTimeInSeconds === 'function') {
      const clock = limiter.getCurrentTimeInSeconds;
      Object.assign(limiter, new (limiter.constructor as new () => RateLimiterShape)());
      // As the constructor sets them, on the compressed clock.
      limiter.lastThrottleTime = clock();
      limiter.lastTxRateBucket = Math.floor(clock());
    }
  }
}

/** Keeps the client's own strategy (mode, attempts, quota), only on a faster clock. */
function compressRetries(client: SdkClient): void {
  const original = client.config.retryStrategy;
  if (typeof original !== 'function') return;
  client.config.retryStrategy = async () => {
    const strategy = (await original()) as RetryStrategyShape;
    if (strategy && typeof strategy === 'object' && !compressed.has(strategy)) {
      compressed.add(strategy);
      const standard = strategy.standardRetryStrategy ?? strategy;
      const backoff = standard.retryBackoffStrategy;
      if (backoff && typeof backoff.computeNextBackoffDelay === 'function') {
        const compute = backoff.computeNextBackoffDelay.bind(backoff);
        backoff.computeNextBackoffDelay = (i: number) => Math.floor(compute(i) / timeScale);
      }
      const limiter = strategy.rateLimiter;
      if (limiter && typeof limiter.getCurrentTimeInSeconds === 'function') {
        const base = Date.now();
        limiter.getCurrentTimeInSeconds = () => (base + (Date.now() - base) * timeScale) / 1000;
        rateLimiterClass ??= limiter.constructor as typeof rateLimiterClass;
        patchRateLimiterSleep();
      }
    }
    return strategy;
  };
}

/** The adaptive rate limiter sleeps through a static hook; on the compressed clock it sleeps compressed. */
function patchRateLimiterSleep(): void {
  if (!rateLimiterClass || realSetTimeoutFn) return;
  realSetTimeoutFn = rateLimiterClass.setTimeoutFn;
  rateLimiterClass.setTimeoutFn = (fn, delay) => setTimeout(fn, delay / timeScale);
}

function unpatchRateLimiterSleep(): void {
  if (!rateLimiterClass || !realSetTimeoutFn) return;
  rateLimiterClass.setTimeoutFn = realSetTimeoutFn;
  realSetTimeoutFn = undefined;
}

/**
 * A route from a table of handlers by command class name; a command the fake does not implement
 * fails loudly rather than reaching the network.
 */
export function routeTable(fake: string, handlers: Record<string, (input: never, client: SdkClient) => unknown>): FakeRoute {
  return ({ commandName, input, client }) => {
    const handler = handlers[commandName];
    if (!handler) throw new Error(`${fake} does not implement ${commandName}`);
    return handler(input as never, client);
  };
}

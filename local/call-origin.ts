/**
 * Which Lambda invocation a call comes from. The engine runs each handler inside `runAs`, so every
 * AWS request the fakes see, and every Kubernetes request the fake API serves, can say which
 * handler (and, for a task state, which workflow state) sent it. Faults and holds can then target
 * one call at one point of a rollout (DeployCanary's PATCH, not Rollback's).
 *
 * The Kubernetes adapter speaks HTTPS through node:https, and the fake API serves it from another
 * async context; the origin crosses over as a request header that Node's `http.client.request.created`
 * diagnostics channel (undici's `request:create`, for fetch) lets us add in the caller's context.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import diagnosticsChannel from 'node:diagnostics_channel';

export interface CallOrigin {
  /** The handler's name (`shift-weight`). */
  readonly handler: string;
  /** The workflow state that invoked it, for a task state's invocation. */
  readonly state?: string;
}

/** The request header that carries the origin to the fake Kubernetes API. */
export const ORIGIN_HEADER = 'x-local-call-origin';

const storage = new AsyncLocalStorage<CallOrigin>();

/** Runs `fn` (and everything it starts) as calls of `origin`. */
export function runAs<T>(origin: CallOrigin, fn: () => T): T {
  return storage.run(origin, fn);
}

/** The origin of the code running now, if a handler is running it. */
export function currentOrigin(): CallOrigin | undefined {
  return storage.getStore();
}

/** The origin a request header carries (see `tagHttpRequests`). */
export function originFromHeader(value: string | string[] | undefined): CallOrigin | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const parsed = JSON.parse(value) as Partial<CallOrigin>;
    if (typeof parsed.handler !== 'string') return undefined;
    return { handler: parsed.handler, ...(typeof parsed.state === 'string' && { state: parsed.state }) };
  } catch {
    return undefined;
  }
}

interface UndiciRequest {
  addHeader(key: string, value: string): unknown;
}

const onRequestCreate = (message: unknown): void => {
  const origin = storage.getStore();
  if (origin) (message as { request: UndiciRequest }).request.addHeader(ORIGIN_HEADER, JSON.stringify(origin));
};
/** Sent before the request's headers are: `setHeader` still applies. */
const onHttpRequestCreated = (message: unknown): void => {
  const origin = storage.getStore();
  if (origin) (message as { request: { setHeader(key: string, value: string): unknown } }).request.setHeader(ORIGIN_HEADER, JSON.stringify(origin));
};
const HTTP_REQUEST_CREATED = 'http.client.request.created';
let tagging = false;

/** Adds the origin header to every HTTP request sent from inside `runAs`. Idempotent. */
export function tagHttpRequests(): void {
  if (tagging) return;
  tagging = true;
  diagnosticsChannel.subscribe('undici:request:create', onRequestCreate);
  diagnosticsChannel.subscribe(HTTP_REQUEST_CREATED, onHttpRequestCreated);
}

/** Stops tagging (the end of a process that ran engines). */
export function stopTaggingHttpRequests(): void {
  if (!tagging) return;
  tagging = false;
  diagnosticsChannel.unsubscribe('undici:request:create', onRequestCreate);
  diagnosticsChannel.unsubscribe(HTTP_REQUEST_CREATED, onHttpRequestCreated);
}

/** Whether a call of `origin` passes a filter on handler and state (an absent filter passes all). */
export function originMatches(filter: { readonly handler?: string; readonly state?: string }, origin: CallOrigin | undefined): boolean {
  if (filter.handler !== undefined && filter.handler !== origin?.handler) return false;
  if (filter.state !== undefined && filter.state !== origin?.state) return false;
  return true;
}

/**
 * What every handler's wiring shares: lazy, once-per-container construction and the settings read
 * from the environment. The adapters themselves are wired in `./wiring/`, one module per port, so a
 * handler's bundle holds only the adapters (and SDK clients) it imports.
 */
import { DEFAULT_FENCE_SECONDS, ENV } from '../handler-names';
import { systemClock, type Clock } from '../ports';

export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set; the serinus engine sets it on deploy`);
  return value;
}

/**
 * Builds on first call and keeps the result, as a Lambda container keeps its clients. Every handler
 * in one process (the local engine runs them all) shares the one adapter.
 */
export function once<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  return () => (built ??= { value: build() }).value;
}

/**
 * A handler's dependencies: each property is built on first read, so a handler that needs no table
 * does not require one to be configured.
 * ```ts
 * const deps = wire({ store, router, health, clock });
 * ```
 */
export function wire<T extends object>(builders: { [K in keyof T]: () => T[K] }): T {
  const target = {} as T;
  for (const key of Object.keys(builders) as Array<keyof T>) {
    Object.defineProperty(target, key, { enumerable: true, get: () => builders[key]() });
  }
  return target;
}

let pauseScale = 1;

/**
 * How much faster than real time the adapters' own pauses run (the router's read-back and
 * throttling pauses). 1 in Lambda; a host that runs the handlers against local fakes compresses
 * them as it compresses the SDK's retry backoff, so no test waits seconds.
 */
export function compressPauses(scale: number): void {
  if (!(scale >= 1)) throw new Error(`pause scale must be ≥ 1, got ${scale}`);
  pauseScale = scale;
}

export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms / pauseScale));
}

export const clock = (): Clock => systemClock;

/** How long a handler of an ended execution may still be running: the reassert waits that long. */
export const fenceSeconds = (): number => fenceSecondsFrom(process.env[ENV.fenceSeconds]);

/** `SERINUS_FENCE_SECONDS`, or the default when it is unset or not a positive number. */
export function fenceSecondsFrom(value: string | undefined): number {
  const parsed = Number(value);
  return value && Number.isFinite(parsed) && parsed > 0 ? parsed : DEFAULT_FENCE_SECONDS;
}

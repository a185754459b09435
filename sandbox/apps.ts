/**
 * The two app versions of the sandbox: small HTTP servers on 127.0.0.1 whose behaviour (error rate,
 * latency) each scenario sets. Every answer names the version that served it in the
 * `x-serinus-version` header, which is what the traffic generator counts.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Version } from './run-model';

export const VERSION_HEADER = 'x-serinus-version';

export interface VersionBehaviour {
  /** Percent of requests answered 500, spread evenly (every 4th at 25%). @default 0 */
  readonly errorRatePercent?: number;
  /** Typical latency. @default 8 */
  readonly latencyMs?: number;
  /** Random extra latency, up to this much. @default 6 */
  readonly jitterMs?: number;
  /** Percent of requests that take `slowLatencyMs` instead, spread evenly. @default 0 */
  readonly slowPercent?: number;
  /** @default 2000 */
  readonly slowLatencyMs?: number;
}

export interface VersionApp {
  readonly version: Version;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Spreads a percentage evenly over a sequence: `every(25)` is true for the 4th, 8th, … call.
 * Deterministic, so a run's error count follows its request count.
 */
function evenly(percent: number): () => boolean {
  let credit = 0;
  return () => {
    credit += Math.max(0, Math.min(100, percent));
    if (credit >= 100) {
      credit -= 100;
      return true;
    }
    return false;
  };
}

export async function startVersionApp(version: Version, behaviour: VersionBehaviour = {}): Promise<VersionApp> {
  const failing = evenly(behaviour.errorRatePercent ?? 0);
  const slow = evenly(behaviour.slowPercent ?? 0);
  const timers = new Set<NodeJS.Timeout>();

  const server = http.createServer((request, response) => {
    // The body is not used; reading it lets a keep-alive connection carry the next request.
    request.resume();
    const fail = failing();
    const delay = slow()
      ? (behaviour.slowLatencyMs ?? 2000)
      : (behaviour.latencyMs ?? 8) + Math.random() * (behaviour.jitterMs ?? 6);
    const timer = setTimeout(() => {
      timers.delete(timer);
      const status = fail ? 500 : 200;
      const body = JSON.stringify(fail ? { version, error: 'internal error (injected by the sandbox)' } : { version, ok: true });
      response.writeHead(status, { 'content-type': 'application/json', [VERSION_HEADER]: version });
      response.end(body);
    }, delay);
    timers.add(timer);
  });
  server.keepAliveTimeout = 5_000;
  await listen(server);

  return {
    version,
    port: (server.address() as AddressInfo).port,
    close: () => closeServer(server, timers),
  };
}

export function listen(server: http.Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Closes the server and every connection it holds, dropping answers not yet sent. */
export function closeServer(server: http.Server, timers: Set<NodeJS.Timeout> = new Set()): Promise<void> {
  for (const timer of timers) clearTimeout(timer);
  timers.clear();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

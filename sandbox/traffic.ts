/**
 * The sandbox's users: a steady request rate against the proxy, bounded in count and in time, and
 * only ever to 127.0.0.1. Each answer is reported with the version that served it.
 */
import http from 'node:http';
import { VERSION_HEADER } from './apps';
import type { TesterHeader } from '../lambda/domain/types';
import type { Version } from './run-model';

export interface Response {
  /** The request's position in the order of sending, from 1. */
  readonly seq: number;
  /** When the answer ended (epoch ms). */
  readonly at: number;
  /** 0 when the request failed without an answer. */
  readonly status: number;
  readonly latencyMs: number;
  /** The version that served it; undefined when no version answered. */
  readonly version?: Version;
  /** Whether it carried the tester header. */
  readonly tester: boolean;
}

/** A person or a smoke test trying the candidate: every `every`-th request carries the header. */
export interface TesterTraffic {
  readonly header: TesterHeader;
  readonly every: number;
}

export interface TrafficOptions {
  /** The proxy; must be `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly ratePerSecond: number;
  /** Stops sending after this many requests. */
  readonly maxRequests: number;
  /** Stops sending after this long. */
  readonly maxDurationMs: number;
  readonly onResponse?: (response: Response) => void;
  /** Part of the requests carry the tester header. @default - none */
  readonly tester?: TesterTraffic;
  /** How often the sender wakes up to send what is due. @default 10 */
  readonly tickMs?: number;
}

export interface Traffic {
  readonly sent: number;
  readonly inFlight: number;
  /** Stops sending and resolves once every request sent has ended. */
  stop(): Promise<void>;
}

export function startTraffic(options: TrafficOptions): Traffic {
  const target = new URL(options.url);
  if (target.protocol !== 'http:' || target.hostname !== '127.0.0.1') {
    throw new Error(`the traffic generator only sends to http://127.0.0.1, not ${options.url}`);
  }
  if (options.tester && !(Number.isInteger(options.tester.every) && options.tester.every >= 2)) {
    throw new Error(`one tester request in every ${options.tester.every}: give a whole number from 2`);
  }
  if (!(options.ratePerSecond > 0)) throw new Error(`the request rate must be above 0, got ${options.ratePerSecond}`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
  const startedAt = Date.now();
  const pending = new Set<Promise<void>>();
  let sent = 0;
  let stopped = false;

  const send = (): void => {
    sent += 1;
    const seq = sent;
    const begin = Date.now();
    const tester = options.tester !== undefined && seq % options.tester.every === 0;
    const request = new Promise<void>((resolve) => {
      let settled = false;
      const report = (status: number, version?: Version): void => {
        if (settled) return;
        settled = true;
        options.onResponse?.({ seq, at: Date.now(), status, latencyMs: Date.now() - begin, version, tester });
        resolve();
      };
      const headers = tester ? { [options.tester!.header.name]: options.tester!.header.value } : {};
      const outgoing = http.get({ host: '127.0.0.1', port: target.port, path: `/checkout?n=${seq}`, headers, agent }, (answer) => {
        const header = answer.headers[VERSION_HEADER];
        const version = header === 'v1' || header === 'v2' ? header : undefined;
        answer.resume();
        answer.on('end', () => report(answer.statusCode ?? 0, version));
        answer.on('error', () => report(0));
      });
      outgoing.on('error', () => report(0));
    });
    pending.add(request);
    void request.then(() => pending.delete(request));
  };

  // Sends what is due since the start, so the rate holds however late a tick runs.
  const timer = setInterval(() => {
    if (stopped) return;
    const elapsed = Date.now() - startedAt;
    if (elapsed >= options.maxDurationMs) {
      clearInterval(timer);
      return;
    }
    const due = Math.min(options.maxRequests, Math.floor((elapsed / 1000) * options.ratePerSecond) + 1);
    while (sent < due) send();
    if (sent >= options.maxRequests) clearInterval(timer);
  }, options.tickMs ?? 10);

  return {
    get sent() {
      return sent;
    },
    get inFlight() {
      return pending.size;
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      while (pending.size > 0) await Promise.all([...pending]);
      agent.destroy();
    },
  };
}

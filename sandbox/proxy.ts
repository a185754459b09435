/**
 * The sandbox's load balancer: a reverse proxy on 127.0.0.1 that asks the mode's data plane
 * (sandbox/data-plane.ts) where each request goes, so when serinus steers — listener weights, an
 * Ingress the controller reconciles, a VirtualService, ready pods — the real traffic split changes
 * as the data plane does. A side forwards to the app version its Deployment's available pods run;
 * one without available pods answers 503, as an ALB target group without targets (or an Envoy
 * cluster without endpoints) does.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer, listen } from './apps';
import type { DataPlane, RouteDecision, Side } from './data-plane';
import type { TesterHeader } from '../lambda/domain/types';
import type { Version } from './run-model';

export type TargetGroupName = Side;

const TARGET_GROUP_HEADER = 'x-serinus-target-group';

export interface Upstream {
  readonly version: Version;
  readonly port: number;
}

/** Where a side's ready pods answer; undefined when it has none. */
export type Upstreams = (side: Side) => Upstream | undefined;

/** How one proxied request ended. */
export interface ProxyResult {
  readonly targetGroup: TargetGroupName;
  /** The route that took it. */
  readonly decision: RouteDecision;
  /** Whether it carried the tester header. */
  readonly tester: boolean;
  /** The version that answered; undefined when no target did. */
  readonly version?: Version;
  readonly status: number;
  readonly latencyMs: number;
  /** When the answer ended (epoch ms). */
  readonly at: number;
}

export interface WeightedProxyOptions {
  readonly dataPlane: DataPlane;
  readonly upstream: Upstreams;
  /** Requests with this header are counted as the tester's (the data plane routes them as it does). */
  readonly testerHeader?: TesterHeader;
  /** Called as a request is forwarded; the function it returns is called once the request ends. */
  readonly onForward?: (decision: RouteDecision, tester: boolean, at: number) => (result: ProxyResult) => void;
}

export interface WeightedProxy {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Users' requests answered by no version (no healthy target, or the target failed). */
  readonly dropped: number;
  /** The same for requests with the tester header (a tester route to a canary without pods yet). */
  readonly testerDropped: number;
  /** Why the users' requests were dropped. */
  readonly droppedBy: { readonly noRoute: number; readonly noPods: number; readonly failed: number };
  close(): Promise<void>;
}

export async function startWeightedProxy(options: WeightedProxyOptions): Promise<WeightedProxy> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
  let dropped = 0;
  let testerDropped = 0;
  const droppedBy = { noRoute: 0, noPods: 0, failed: 0 };

  const server = http.createServer((request, response) => {
    const startedAt = Date.now();
    const header = options.testerHeader;
    const tester = header !== undefined && request.headers[header.name.toLowerCase()] === header.value;
    const decision = options.dataPlane.route({ path: request.url ?? '/', method: request.method ?? 'GET', headers: request.headers });
    const targetGroup = decision?.side;
    const upstream = targetGroup && options.upstream(targetGroup);
    const done = decision ? options.onForward?.(decision, tester, startedAt) : undefined;
    let ended = false;
    const finish = (status: number, version?: Version): void => {
      if (ended) return;
      ended = true;
      if (version === undefined && tester) testerDropped += 1;
      else if (version === undefined) {
        dropped += 1;
        droppedBy[!targetGroup ? 'noRoute' : !upstream ? 'noPods' : 'failed'] += 1;
      }
      if (decision) done?.({ targetGroup: decision.side, decision, tester, version, status, latencyMs: Date.now() - startedAt, at: Date.now() });
    };

    if (!targetGroup || !upstream) {
      request.resume();
      response.writeHead(503, { 'content-type': 'text/plain', ...(targetGroup && { [TARGET_GROUP_HEADER]: targetGroup }) });
      response.end(targetGroup ? '503 Service Temporarily Unavailable: no ready pods serve this side\n' : '503 Service Temporarily Unavailable: no route forwards this request\n');
      finish(503);
      return;
    }

    const forwarded = http.request(
      { host: '127.0.0.1', port: upstream.port, method: request.method, path: request.url, headers: request.headers, agent },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, { ...answer.headers, [TARGET_GROUP_HEADER]: targetGroup });
        answer.pipe(response);
        answer.on('end', () => finish(answer.statusCode ?? 502, upstream.version));
        answer.on('error', () => finish(502));
      },
    );
    forwarded.on('error', () => {
      if (!response.headersSent) {
        response.writeHead(502, { 'content-type': 'text/plain', [TARGET_GROUP_HEADER]: targetGroup });
        response.end('502 Bad Gateway\n');
      } else {
        response.destroy();
      }
      finish(502);
    });
    request.pipe(forwarded);
  });
  server.keepAliveTimeout = 5_000;
  await listen(server);

  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get dropped() {
      return dropped;
    },
    get testerDropped() {
      return testerDropped;
    },
    droppedBy,
    close: async () => {
      await closeServer(server);
      agent.destroy();
    },
  };
}

/**
 * The sandbox's ALB listener: a reverse proxy on 127.0.0.1 that routes each request by the forward
 * action's weights as the fake ELBv2 holds them at that moment, so when serinus writes weights the
 * real traffic split changes. A target group forwards to the app version its Deployment's available
 * pods run; one without available pods answers 503, as an ALB target group without targets does.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer, listen } from './apps';
import type { Version } from './run-model';

export type TargetGroupName = 'stable' | 'canary';

const TARGET_GROUP_HEADER = 'x-serinus-target-group';

export interface Upstream {
  readonly version: Version;
  readonly port: number;
}

export interface Routing {
  /** The forward action's weights now. */
  weights(): { readonly stable: number; readonly canary: number };
  /** Where the target group's healthy targets answer; undefined when it has none. */
  upstream(targetGroup: TargetGroupName): Upstream | undefined;
}

/** How one proxied request ended. */
export interface ProxyResult {
  readonly targetGroup: TargetGroupName;
  /** The version that answered; undefined when no target did. */
  readonly version?: Version;
  readonly status: number;
  readonly latencyMs: number;
  /** When the answer ended (epoch ms). */
  readonly at: number;
}

export interface WeightedProxyOptions {
  readonly routing: Routing;
  /** Called as a request is forwarded; the function it returns is called once the request ends. */
  readonly onForward?: (targetGroup: TargetGroupName, at: number) => (result: ProxyResult) => void;
}

export interface WeightedProxy {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Requests answered by no version (no healthy target, or the target failed). */
  readonly dropped: number;
  close(): Promise<void>;
}

/**
 * Smooth weighted round robin (as nginx does it): over any run of requests each target group gets
 * its share within one request, spread out rather than in bursts, and weight changes take effect at
 * the next request.
 */
class WeightedRoundRobin {
  private readonly current: Record<TargetGroupName, number> = { stable: 0, canary: 0 };

  pick(weights: { readonly stable: number; readonly canary: number }): TargetGroupName | undefined {
    const total = weights.stable + weights.canary;
    if (total <= 0) return undefined;
    this.current.stable += weights.stable;
    this.current.canary += weights.canary;
    // Ties go to stable, so a fresh 50/50 split starts on stable.
    const chosen: TargetGroupName = weights.canary > 0 && (weights.stable === 0 || this.current.canary > this.current.stable) ? 'canary' : 'stable';
    this.current[chosen] -= total;
    return chosen;
  }
}

export async function startWeightedProxy(options: WeightedProxyOptions): Promise<WeightedProxy> {
  const balancer = new WeightedRoundRobin();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
  let dropped = 0;

  const server = http.createServer((request, response) => {
    const startedAt = Date.now();
    const targetGroup = balancer.pick(options.routing.weights());
    const upstream = targetGroup && options.routing.upstream(targetGroup);
    const done = targetGroup ? options.onForward?.(targetGroup, startedAt) : undefined;
    let ended = false;
    const finish = (status: number, version?: Version): void => {
      if (ended) return;
      ended = true;
      if (version === undefined) dropped += 1;
      if (targetGroup) done?.({ targetGroup, version, status, latencyMs: Date.now() - startedAt, at: Date.now() });
    };

    if (!targetGroup || !upstream) {
      request.resume();
      response.writeHead(503, { 'content-type': 'text/plain', ...(targetGroup && { [TARGET_GROUP_HEADER]: targetGroup }) });
      response.end('503 Service Temporarily Unavailable: the target group has no healthy targets\n');
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
    close: async () => {
      await closeServer(server);
      agent.destroy();
    },
  };
}

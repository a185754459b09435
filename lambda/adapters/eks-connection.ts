/**
 * Kubernetes API clients for EKS clusters: the endpoint and CA from EKS DescribeCluster, an
 * IAM-signed bearer token, and one connection pool per cluster kept for a warm container. Every
 * adapter that talks to a cluster (Deployments, Ingresses, VirtualServices) gets its clients here.
 */
import { DescribeClusterCommand, EKSClient, ResourceNotFoundException } from '@aws-sdk/client-eks';
import type { ApiType, KubeConfig } from '@kubernetes/client-node';
import { ValidationFailedError } from '../errors';
import { clientConfig, withoutSdkLogging } from './client-config';
import { createEksToken } from './eks-token';

/** What serinus uses of the Kubernetes client (@kubernetes/client-node). */
export type KubernetesClient = typeof import('./kubernetes-client.mjs');

let client: Promise<KubernetesClient> | undefined;

/**
 * The Kubernetes client, loaded by the first call to a cluster rather than with this module: a
 * handler on a path that never reaches a cluster (an ALB rollout's traffic steps) does not evaluate
 * it. Why it comes through an ES module of its own: kubernetes-client.mts.
 */
export function kubernetesClient(): Promise<KubernetesClient> {
  return (client ??= import('./kubernetes-client.mjs'));
}

/** Whether `error` is the Kubernetes API's answer with this HTTP status (the client's ApiException). */
export async function isKubernetesStatus(error: unknown, code: number): Promise<boolean> {
  const { ApiException } = await kubernetesClient();
  return error instanceof ApiException && Number(error.code) === code;
}

/** EKS tokens are accepted for ~15 minutes; a fresh one is minted well before that. */
const DEFAULT_TOKEN_TTL_MS = 10 * 60 * 1000;

export interface EksConnectionsOptions {
  /** How long a Kubernetes client (and its token) is reused. @default - 10 minutes */
  readonly tokenTtlMs?: number;
  /** Epoch milliseconds. @default Date.now */
  readonly now?: () => number;
}

interface ClusterAccess {
  readonly endpoint: string;
  /** Base64 of the PEM CA bundle, as EKS returns it and as kubeconfig's `caData` expects it. */
  readonly caData: string;
}

interface CachedConfig {
  readonly config: Promise<KubeConfig>;
  readonly expiresAt: number;
}

type KubeRequestContext = Parameters<KubeConfig['applySecurityAuthentication']>[0];

/** The connection pool of one API server, as the Kubernetes client hands it to a request. */
type Dispatcher = ReturnType<KubeRequestContext['getDispatcher']>;

/**
 * The Kubernetes client builds a new connection pool for every request, so each call pays a TLS
 * handshake and parses the cluster's CA again. This config gives every request the pool of its API
 * server (endpoint and CA), which the first request made: a warm container reuses its connection to
 * the API server, also after it mints a new token (see `config`): the bearer token travels in a
 * header, not in the pool. The class extends the client's KubeConfig, so it is made once the client
 * is loaded.
 */
let connectionReusingKubeConfig: Promise<new (pool: { dispatcher?: Dispatcher }) => KubeConfig> | undefined;

function connectionReusingKubeConfigClass(): Promise<new (pool: { dispatcher?: Dispatcher }) => KubeConfig> {
  return (connectionReusingKubeConfig ??= kubernetesClient().then(
    ({ KubeConfig: ClientKubeConfig }) =>
      class ConnectionReusingKubeConfig extends ClientKubeConfig {
        constructor(private readonly pool: { dispatcher?: Dispatcher }) {
          super();
        }

        override async applySecurityAuthentication(context: KubeRequestContext): Promise<void> {
          await super.applySecurityAuthentication(context);
          if (this.pool.dispatcher) context.setDispatcher(this.pool.dispatcher);
          else this.pool.dispatcher = context.getDispatcher();
        }
      },
  ));
}

/** What a failed Kubernetes call was about, for the sentence that explains it. */
export interface KubeCallSite {
  readonly clusterName: string;
  readonly namespace: string;
  /** The object, as a person names it: `deployment "web"`, `ingress "shop"`. */
  readonly object: string;
  /** The verb: `read`, `patch`, `scale`. */
  readonly action: string;
}

export class EksConnections {
  /** Endpoints and CAs do not change while a cluster lives: one DescribeCluster per container. */
  private readonly clusters = new Map<string, Promise<ClusterAccess>>();
  private readonly configs = new Map<string, CachedConfig>();
  /** One connection pool per API server (endpoint and CA), kept across tokens. */
  private readonly pools = new Map<string, { dispatcher?: Dispatcher }>();
  private readonly tokenTtlMs: number;
  private readonly now: () => number;

  constructor(
    private readonly eks = withoutSdkLogging(new EKSClient({ ...clientConfig })),
    private readonly tokenProvider: (clusterName: string) => Promise<string> = createEksToken,
    options: EksConnectionsOptions = {},
  ) {
    this.tokenTtlMs = options.tokenTtlMs ?? DEFAULT_TOKEN_TTL_MS;
    this.now = options.now ?? Date.now;
  }

  /** An API client of the given group for the cluster, sharing the cluster's connection pool. */
  async api<T extends ApiType>(clusterName: string, apiClass: new (config: never) => T): Promise<T> {
    return (await this.config(clusterName)).makeApiClient(apiClass as never) as T;
  }

  /**
   * Runs one Kubernetes call and turns its failure into a sentence a person can act on: 404 and the
   * access errors become ValidationFailedError, anything else stays retryable.
   */
  async call<T>(site: KubeCallSite, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw await this.explain(site, error);
    }
  }

  private async explain(site: KubeCallSite, error: unknown): Promise<Error> {
    const { clusterName, namespace, object, action } = site;
    const where = `${object} in namespace "${namespace}" of cluster "${clusterName}"`;
    const access =
      `give the Lambda role an EKS access entry on cluster "${clusterName}" with the AmazonEKSEditPolicy ` +
      `access policy scoped to namespace "${namespace}"`;
    const { ApiException } = await kubernetesClient();
    if (!(error instanceof ApiException)) {
      const endpoint = await this.clusters.get(clusterName)?.then((c) => c.endpoint, () => undefined);
      return new Error(`cannot reach the Kubernetes API of cluster "${clusterName}" at ${endpoint}: ${networkDetail(error)}`, {
        cause: error,
      });
    }
    const code = Number(error.code);
    const message = statusMessage(error.body);
    switch (code) {
      case 404:
        return new ValidationFailedError(`${object} not found in namespace "${namespace}" of cluster "${clusterName}"`, { cause: error });
      case 401:
        // The token may be the problem (clock skew, revoked session): the next call mints a new one.
        this.configs.delete(clusterName);
        return new ValidationFailedError(
          `the Kubernetes API of cluster "${clusterName}" did not accept serinus's IAM identity (401 Unauthorized) ` +
            `when trying to ${action} ${where}: ${access}`,
          { cause: error },
        );
      case 403:
        return new ValidationFailedError(`serinus may not ${action} ${where} (403 Forbidden${message ? `: ${message}` : ''}): ${access}`, {
          cause: error,
        });
      case 422:
        return new ValidationFailedError(`Kubernetes rejected the ${action} of ${where}: ${message ?? 'invalid'}`, { cause: error });
      default:
        return Object.assign(
          new Error(`Kubernetes API answered ${code} to the ${action} of ${where}${message ? `: ${message}` : ''}`, { cause: error }),
          { statusCode: code },
        );
    }
  }

  private config(clusterName: string): Promise<KubeConfig> {
    const cached = this.configs.get(clusterName);
    if (cached && cached.expiresAt > this.now()) return cached.config;
    const config = this.connect(clusterName);
    this.configs.set(clusterName, { config, expiresAt: this.now() + this.tokenTtlMs });
    config.catch(() => {
      if (this.configs.get(clusterName)?.config === config) this.configs.delete(clusterName);
    });
    return config;
  }

  private async connect(clusterName: string): Promise<KubeConfig> {
    const [cluster, token, ConnectionReusingKubeConfig] = await Promise.all([
      this.cluster(clusterName),
      this.tokenProvider(clusterName),
      connectionReusingKubeConfigClass(),
    ]);
    const server = `${cluster.endpoint} ${cluster.caData}`;
    let pool = this.pools.get(server);
    if (!pool) {
      pool = {};
      this.pools.set(server, pool);
    }
    const kubeConfig = new ConnectionReusingKubeConfig(pool);
    kubeConfig.loadFromOptions({
      clusters: [{ name: clusterName, server: cluster.endpoint, caData: cluster.caData, skipTLSVerify: false }],
      users: [{ name: 'serinus', token }],
      contexts: [{ name: clusterName, cluster: clusterName, user: 'serinus' }],
      currentContext: clusterName,
    });
    return kubeConfig;
  }

  private cluster(clusterName: string): Promise<ClusterAccess> {
    let access = this.clusters.get(clusterName);
    if (!access) {
      access = this.describeCluster(clusterName);
      this.clusters.set(clusterName, access);
      // A failed lookup is not cached: the next call asks again.
      access.catch(() => this.clusters.delete(clusterName));
    }
    return access;
  }

  private async describeCluster(clusterName: string): Promise<ClusterAccess> {
    let cluster;
    try {
      ({ cluster } = await this.eks.send(new DescribeClusterCommand({ name: clusterName })));
    } catch (error) {
      if (error instanceof ResourceNotFoundException) {
        throw new ValidationFailedError(`EKS cluster "${clusterName}" not found in this account and region`, { cause: error });
      }
      throw error;
    }
    const endpoint = cluster?.endpoint;
    const caData = cluster?.certificateAuthority?.data;
    if (!endpoint || !caData) {
      throw new ValidationFailedError(`EKS cluster "${clusterName}" has no API endpoint or CA yet (status ${cluster?.status ?? 'unknown'})`);
    }
    return { endpoint, caData };
  }
}

/** The `message` of the Kubernetes Status in an error body (client-node hands it over as text). */
function statusMessage(body: unknown): string | undefined {
  let status = body;
  if (typeof body === 'string') {
    try {
      status = JSON.parse(body);
    } catch {
      return body || undefined;
    }
  }
  return hasMessage(status) ? status.message : undefined;
}

/** Duck-typed: errors from undici come from another realm under jest, so `instanceof Error` fails. */
function hasMessage(value: unknown): value is { message: string } {
  return typeof value === 'object' && value !== null && 'message' in value && typeof value.message === 'string';
}

/** fetch says only "fetch failed"; the reason (a TLS verification error, ECONNREFUSED) is its cause. */
function networkDetail(error: unknown): string {
  const cause = hasMessage(error) ? (error as { cause?: unknown }).cause : undefined;
  const reason = hasMessage(cause) ? cause : error;
  const code = typeof reason === 'object' && reason !== null && 'code' in reason ? ` (${String(reason.code)})` : '';
  return hasMessage(reason) ? `${reason.message}${code}` : String(reason);
}

/**
 * `Workloads` on Amazon EKS: Deployments read and patched through the Kubernetes API, reached
 * with the endpoint and CA from EKS DescribeCluster and an IAM-signed bearer token.
 *
 * Kubernetes access comes from an EKS access entry for the Lambda role with AmazonEKSEditPolicy
 * scoped to the service's namespace; a private endpoint needs this Lambda in the cluster's VPC.
 */
import { DescribeClusterCommand, EKSClient, ResourceNotFoundException } from '@aws-sdk/client-eks';
import { ApiException, AppsV1Api, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { V1Deployment } from '@kubernetes/client-node';
import type { DeploymentRef, DeploymentSnapshot, RolloutStatus } from '../domain/types';
import { ValidationFailedError } from '../errors';
import type { Workloads } from '../ports';
import { clientConfig } from './client-config';
import { evaluateRolloutStatus } from '../domain/rollout-status';
import { createEksToken } from './eks-token';

/** EKS tokens are accepted for ~15 minutes; a fresh one is minted well before that. */
const DEFAULT_TOKEN_TTL_MS = 10 * 60 * 1000;

export interface EksWorkloadsOptions {
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

interface CachedApi {
  readonly api: Promise<AppsV1Api>;
  readonly expiresAt: number;
}

type KubeRequestContext = Parameters<KubeConfig['applySecurityAuthentication']>[0];

/**
 * The Kubernetes client builds a new connection pool for every request, so each call pays a TLS
 * handshake and parses the cluster's CA again. This config keeps the first pool and hands it to
 * every later request: a warm container reuses its connection to the API server. The bearer token
 * travels in a header, not in the pool, and a new token gets a new config (see `api`).
 */
class ConnectionReusingKubeConfig extends KubeConfig {
  private dispatcher: ReturnType<KubeRequestContext['getDispatcher']>;

  override async applySecurityAuthentication(context: KubeRequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    if (this.dispatcher) context.setDispatcher(this.dispatcher);
    else this.dispatcher = context.getDispatcher();
  }
}

export class EksWorkloads implements Workloads {
  /** Endpoints and CAs do not change while a cluster lives: one DescribeCluster per container. */
  private readonly clusters = new Map<string, Promise<ClusterAccess>>();
  private readonly apis = new Map<string, CachedApi>();
  private readonly tokenTtlMs: number;
  private readonly now: () => number;

  constructor(
    private readonly eks = new EKSClient({ ...clientConfig }),
    private readonly tokenProvider: (clusterName: string) => Promise<string> = createEksToken,
    options: EksWorkloadsOptions = {},
  ) {
    this.tokenTtlMs = options.tokenTtlMs ?? DEFAULT_TOKEN_TTL_MS;
    this.now = options.now ?? Date.now;
  }

  async snapshot(ref: DeploymentRef): Promise<DeploymentSnapshot> {
    const deployment = await this.read(ref);
    const images: Record<string, string> = {};
    for (const container of deployment.spec?.template.spec?.containers ?? []) {
      images[container.name] = container.image ?? '';
    }
    return { images, replicas: deployment.spec?.replicas ?? 1 };
  }

  async setImages(ref: DeploymentRef, images: Record<string, string>): Promise<void> {
    const names = Object.keys(images);
    if (names.length === 0) return;
    const deployment = await this.read(ref);
    const live = new Map((deployment.spec?.template.spec?.containers ?? []).map((c) => [c.name, c.image]));
    const problems = names
      .filter((name) => !live.has(name))
      .map(
        (name) =>
          `container "${name}" is not in deployment "${ref.name}" (namespace "${ref.namespace}", cluster "${ref.clusterName}"); ` +
          `its containers are: ${[...live.keys()].join(', ')}`,
      );
    problems.push(...names.filter((name) => !images[name]?.trim()).map((name) => `the image for container "${name}" is empty`));
    if (problems.length > 0) throw new ValidationFailedError(problems);
    if (names.every((name) => live.get(name) === images[name])) return;

    // Strategic merge merges `containers` by name, so one patch sets every image and leaves the
    // other containers and fields alone, with no dependence on list indices read earlier.
    const body = { spec: { template: { spec: { containers: names.map((name) => ({ name, image: images[name] })) } } } };
    await this.call(ref, 'patch', (api) =>
      api.patchNamespacedDeployment(
        { name: ref.name, namespace: ref.namespace, body },
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
      ),
    );
  }

  async scale(ref: DeploymentRef, replicas: number): Promise<void> {
    if (!Number.isInteger(replicas) || replicas < 0) {
      throw new ValidationFailedError(`replicas for deployment "${ref.name}" must be a whole number ≥ 0, got ${replicas}`);
    }
    await this.call(ref, 'scale', (api) =>
      api.patchNamespacedDeploymentScale(
        { name: ref.name, namespace: ref.namespace, body: { spec: { replicas } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    );
  }

  async rolloutStatus(ref: DeploymentRef): Promise<RolloutStatus> {
    return toRolloutStatus(ref.name, await this.read(ref));
  }

  private read(ref: DeploymentRef): Promise<V1Deployment> {
    return this.call(ref, 'read', (api) => api.readNamespacedDeployment({ name: ref.name, namespace: ref.namespace }));
  }

  private async call<T>(ref: DeploymentRef, action: string, request: (api: AppsV1Api) => Promise<T>): Promise<T> {
    const api = await this.api(ref.clusterName);
    try {
      return await request(api);
    } catch (error) {
      throw await this.explain(ref, action, error);
    }
  }

  /** Turns a Kubernetes API failure into a sentence a person can act on. */
  private async explain(ref: DeploymentRef, action: string, error: unknown): Promise<Error> {
    const where = `deployment "${ref.name}" in namespace "${ref.namespace}" of cluster "${ref.clusterName}"`;
    const access =
      `give the Lambda role an EKS access entry on cluster "${ref.clusterName}" with the AmazonEKSEditPolicy ` +
      `access policy scoped to namespace "${ref.namespace}"`;
    if (!(error instanceof ApiException)) {
      const endpoint = await this.clusters.get(ref.clusterName)?.then((c) => c.endpoint, () => undefined);
      return new Error(`cannot reach the Kubernetes API of cluster "${ref.clusterName}" at ${endpoint}: ${networkDetail(error)}`, {
        cause: error,
      });
    }
    const code = Number(error.code);
    const message = statusMessage(error.body);
    switch (code) {
      case 404:
        return new ValidationFailedError(
          `deployment "${ref.name}" not found in namespace "${ref.namespace}" of cluster "${ref.clusterName}"`,
          { cause: error },
        );
      case 401:
        // The token may be the problem (clock skew, revoked session): the next call mints a new one.
        this.apis.delete(ref.clusterName);
        return new ValidationFailedError(
          `the Kubernetes API of cluster "${ref.clusterName}" did not accept serinus's IAM identity (401 Unauthorized) ` +
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
        return new Error(`Kubernetes API answered ${code} to the ${action} of ${where}${message ? `: ${message}` : ''}`, { cause: error });
    }
  }

  private api(clusterName: string): Promise<AppsV1Api> {
    const cached = this.apis.get(clusterName);
    if (cached && cached.expiresAt > this.now()) return cached.api;
    const api = this.connect(clusterName);
    this.apis.set(clusterName, { api, expiresAt: this.now() + this.tokenTtlMs });
    api.catch(() => {
      if (this.apis.get(clusterName)?.api === api) this.apis.delete(clusterName);
    });
    return api;
  }

  private async connect(clusterName: string): Promise<AppsV1Api> {
    const [cluster, token] = await Promise.all([this.cluster(clusterName), this.tokenProvider(clusterName)]);
    const kubeConfig = new ConnectionReusingKubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [{ name: clusterName, server: cluster.endpoint, caData: cluster.caData, skipTLSVerify: false }],
      users: [{ name: 'serinus', token }],
      contexts: [{ name: clusterName, cluster: clusterName, user: 'serinus' }],
      currentContext: clusterName,
    });
    return kubeConfig.makeApiClient(AppsV1Api);
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

/** The adapter only extracts the fields; the judgement is the domain's, shared and table-tested. */
function toRolloutStatus(name: string, deployment: V1Deployment): RolloutStatus {
  const status = deployment.status ?? {};
  return evaluateRolloutStatus(
    {
      generation: deployment.metadata?.generation,
      observedGeneration: status.observedGeneration,
      specReplicas: deployment.spec?.replicas,
      updatedReplicas: status.updatedReplicas,
      readyReplicas: status.readyReplicas,
      availableReplicas: status.availableReplicas,
      replicas: status.replicas,
      conditions: status.conditions,
    },
    name,
  );
}

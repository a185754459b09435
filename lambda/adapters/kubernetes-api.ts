/**
 * The three Kubernetes API calls serinus makes (read a Deployment, patch it, patch its scale), over
 * node:https with the cluster's CA and a bearer token. The full client (@kubernetes/client-node
 * with undici, websockets and tar) would be four fifths of every Kubernetes-calling bundle for
 * these three requests; its types are still the ones used here.
 */
import { Agent, request } from 'node:https';
import type { V1Deployment } from '@kubernetes/client-node';

/** A Kubernetes API answer other than 2xx; `body` is the response text (usually a Status object). */
export class KubernetesApiError extends Error {
  constructor(
    readonly code: number,
    readonly body: string,
  ) {
    super(`HTTP-Code: ${code} Body: ${body}`);
    this.name = 'KubernetesApiError';
  }
}

export interface KubernetesEndpoint {
  /** `https://…` */
  readonly server: string;
  /** Base64 of the PEM CA bundle, as EKS DescribeCluster returns it. */
  readonly caData: string;
  readonly token: string;
}

/** Content types of the two patches serinus sends. */
export const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';
export const MERGE_PATCH = 'application/merge-patch+json';

export class KubernetesApi {
  private readonly agent: Agent;
  private readonly server: URL;

  constructor(private readonly endpoint: KubernetesEndpoint) {
    this.server = new URL(endpoint.server);
    if (this.server.protocol !== 'https:') {
      throw new Error(`the Kubernetes API endpoint must be https://, got ${endpoint.server}`);
    }
    this.agent = new Agent({ keepAlive: true, ca: Buffer.from(endpoint.caData, 'base64').toString('utf8') });
  }

  readDeployment(namespace: string, name: string): Promise<V1Deployment> {
    return this.send('GET', deploymentPath(namespace, name)) as Promise<V1Deployment>;
  }

  patchDeployment(namespace: string, name: string, body: unknown, contentType: string): Promise<V1Deployment> {
    return this.send('PATCH', deploymentPath(namespace, name), body, contentType) as Promise<V1Deployment>;
  }

  patchDeploymentScale(namespace: string, name: string, body: unknown, contentType: string): Promise<unknown> {
    return this.send('PATCH', `${deploymentPath(namespace, name)}/scale`, body, contentType);
  }

  private send(method: string, path: string, body?: unknown, contentType?: string): Promise<unknown> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const url = new URL(path, this.server);
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          agent: this.agent,
          headers: {
            accept: 'application/json',
            authorization: `Bearer ${this.endpoint.token}`,
            ...(payload === undefined ? {} : { 'content-type': contentType ?? 'application/json', 'content-length': Buffer.byteLength(payload) }),
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = response.statusCode ?? 0;
            if (status < 200 || status >= 300) {
              reject(new KubernetesApiError(status, text));
              return;
            }
            try {
              resolve(text ? JSON.parse(text) : {});
            } catch (error) {
              reject(new Error(`the Kubernetes API answered ${method} ${url.pathname} with a body that is not JSON`, { cause: error }));
            }
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }
}

function deploymentPath(namespace: string, name: string): string {
  return `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/deployments/${encodeURIComponent(name)}`;
}

/**
 * `Workloads` on Amazon EKS: Deployments read and patched through the Kubernetes API, reached
 * with the endpoint and CA from EKS DescribeCluster and an IAM-signed bearer token.
 *
 * Connections come from `EksConnections`. Kubernetes access comes from an EKS access entry for the
 * Lambda role with AmazonEKSEditPolicy scoped to the service's namespace; a private endpoint needs
 * this Lambda in the cluster's VPC.
 */
import type { AppsV1Api, V1Deployment } from '@kubernetes/client-node';
import type { DeploymentRef, DeploymentSnapshot, RolloutStatus } from '../domain/types';
import { ValidationFailedError } from '../errors';
import type { DeploymentInspection, Workloads } from '../ports';
import { evaluateRolloutStatus } from '../domain/rollout-status';
import { EksConnections, isKubernetesStatus, kubernetesClient, type KubernetesClient } from './eks-connection';

export class EksWorkloads implements Workloads {
  constructor(private readonly connections = new EksConnections()) {}

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
    await this.call(ref, 'patch', (api, { setHeaderOptions, PatchStrategy }) =>
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
    await this.call(ref, 'scale', (api, { setHeaderOptions, PatchStrategy }) =>
      api.patchNamespacedDeploymentScale(
        { name: ref.name, namespace: ref.namespace, body: { spec: { replicas } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    );
  }

  async rolloutStatus(ref: DeploymentRef): Promise<RolloutStatus> {
    return toRolloutStatus(ref.name, await this.read(ref));
  }

  async inspect(ref: DeploymentRef): Promise<DeploymentInspection | undefined> {
    const deployment = await this.call(ref, 'read', async (api) => {
      try {
        return await api.readNamespacedDeployment({ name: ref.name, namespace: ref.namespace });
      } catch (error) {
        if (await isKubernetesStatus(error, 404)) return undefined;
        throw error;
      }
    });
    if (!deployment) return undefined;
    return { status: toRolloutStatus(ref.name, deployment), annotations: { ...deployment.metadata?.annotations } };
  }

  async annotate(ref: DeploymentRef, annotations: Record<string, string>): Promise<void> {
    // A merge patch of metadata only: the spec, and so the generation, stay as they are.
    await this.call(ref, 'annotate', (api, { setHeaderOptions, PatchStrategy }) =>
      api.patchNamespacedDeployment(
        { name: ref.name, namespace: ref.namespace, body: { metadata: { annotations } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    );
  }

  private read(ref: DeploymentRef): Promise<V1Deployment> {
    return this.call(ref, 'read', (api) => api.readNamespacedDeployment({ name: ref.name, namespace: ref.namespace }));
  }

  private async call<T>(ref: DeploymentRef, action: string, request: (api: AppsV1Api, k8s: KubernetesClient) => Promise<T>): Promise<T> {
    const k8s = await kubernetesClient();
    const api = await this.connections.api(ref.clusterName, k8s.AppsV1Api);
    const site = { clusterName: ref.clusterName, namespace: ref.namespace, object: `deployment "${ref.name}"`, action };
    return this.connections.call(site, () => request(api, k8s));
  }
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

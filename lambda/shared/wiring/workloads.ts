import { EksConnections } from '../../adapters/eks-connection';
import { EksWorkloads } from '../../adapters/eks-workloads';
import type { Workloads } from '../../ports';
import { once } from '../runtime';

/**
 * One connection pool per cluster for the container, shared by the Deployments adapter and the
 * routers that edit Kubernetes objects. The Kubernetes client comes with these adapters: only the
 * handlers that import them carry it.
 */
export const kube = once((): EksConnections => new EksConnections());

export const workloads = once((): Workloads => new EksWorkloads(kube()));

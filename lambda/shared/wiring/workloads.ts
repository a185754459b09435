import { EksWorkloads } from '../../adapters/eks-workloads';
import type { Workloads } from '../../ports';
import { once } from '../runtime';

/** The Kubernetes client comes with this adapter: only the handlers that import it carry it. */
export const workloads = once((): Workloads => new EksWorkloads());

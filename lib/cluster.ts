import { ArnFormat, Stack } from 'aws-cdk-lib';
import type * as eks from 'aws-cdk-lib/aws-eks';
import type { IConstruct } from 'constructs';
import type { ClusterReference } from './engine';

/**
 * The EKS cluster that runs a service's Deployments. Its authentication mode must allow access
 * entries (API or API_AND_CONFIG_MAP): the engine adds one for its Kubernetes role.
 */
export class EksCluster {
  /** A cluster construct of this app, or one imported with `eks.Cluster.fromClusterAttributes`. */
  static fromCluster(cluster: eks.ICluster): EksCluster {
    return new EksCluster(cluster.clusterName, cluster);
  }

  /** A cluster of the stack's account and region, by name. */
  static fromName(clusterName: string): EksCluster {
    return new EksCluster(clusterName);
  }

  /** The cluster's name (may be a token). */
  readonly clusterName: string;
  private readonly cluster?: eks.ICluster;

  private constructor(clusterName: string, cluster?: eks.ICluster) {
    this.clusterName = clusterName;
    this.cluster = cluster;
  }

  /**
   * The ARN of a cluster given as a construct; undefined for one named only (its ARN is built from
   * the stack, so it cannot name another account or region).
   * @internal
   */
  get _clusterArn(): string | undefined {
    return this.cluster?.clusterArn;
  }

  /** @internal */
  _reference(scope: IConstruct): ClusterReference {
    if (this.cluster) {
      return { clusterName: this.cluster.clusterName, clusterArn: this.cluster.clusterArn, stableId: this.cluster.node.addr };
    }
    return {
      clusterName: this.clusterName,
      clusterArn: Stack.of(scope).formatArn({
        service: 'eks',
        resource: 'cluster',
        resourceName: this.clusterName,
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      }),
    };
  }
}

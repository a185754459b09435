/**
 * The `ingress` routing: an ALB that the AWS Load Balancer Controller owns through an Ingress.
 * serinus edits the weights of the Ingress's custom action annotation and reads the listener rule
 * back through ELBv2 once the controller has reconciled it.
 */
import { Token } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { INGRESS_ROUTER, ingressTargetKey, type IngressTarget } from '../lambda/adapters/ingress-target';
import type { BoundRouting, RoutingBindContext } from './routing';

/** Options of `TrafficRouting.ingress`. */
export interface IngressRoutingOptions {
  /** The Ingress, in the namespace of the Deployments, whose action annotation holds the weights. */
  readonly ingressName: string;
  /**
   * The custom action: the `<name>` of the Ingress annotation `alb.ingress.kubernetes.io/actions.<name>`,
   * which the Ingress's paths name as their backend service with port `use-annotation`.
   */
  readonly actionName: string;
  /** The Service of the stable Deployment, as the action names it. */
  readonly stableServiceName: string;
  /** The Service of the canary Deployment; it stays in the action at weight 0 between rollouts. */
  readonly canaryServiceName: string;
  /**
   * The Services' port as the action names it: a number (`'80'`) or a Service port name (`'http'`).
   * @default '80'
   */
  readonly servicePort?: string;
  /**
   * The ARN of the ALB listener the controller created for the Ingress (e.g. the HTTPS :443 one):
   * serinus reads its rules back to verify the controller applied the weights. Find it with
   * `aws elbv2 describe-listeners --load-balancer-arn <the ALB tagged ingress.k8s.aws/stack=<namespace>/<ingress>>`,
   * or give the controller a fixed name with `alb.ingress.kubernetes.io/load-balancer-name` and look it up.
   */
  readonly listenerArn: string;
}

const LISTENER_ARN = /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:listener\/app\/[^/]+\/[0-9a-f]+\/[0-9a-f]+$/;
const OBJECT_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const ACTION_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const SERVICE_PORT = /^([1-9]\d{0,4}|(?=[-a-z0-9]*[a-z])[a-z0-9]([-a-z0-9]{0,13}[a-z0-9])?)$/;

const literal = (value: string | undefined): value is string => value !== undefined && !Token.isUnresolved(value);

/**
 * Binds the routing. The functions call the Kubernetes API (the namespace's EKS access entry with
 * AmazonEKSEditPolicy covers Ingresses) and only Describe* on ELBv2, which has no resource-level
 * permissions: no ELBv2 write is granted. No ALB metric dimensions: the controller creates the
 * target groups, so their names are not known at synth.
 */
export function bindIngress(_scope: Construct, context: RoutingBindContext, options: IngressRoutingOptions): BoundRouting {
  const servicePort = options.servicePort ?? '80';
  const fields = {
    clusterName: context.clusterName,
    namespace: context.namespace,
    ingressName: options.ingressName,
    actionName: options.actionName,
  };
  const target: IngressTarget = {
    kind: INGRESS_ROUTER,
    key: ingressTargetKey(fields),
    ...fields,
    stableService: options.stableServiceName,
    canaryService: options.canaryServiceName,
    servicePort,
    listenerArn: options.listenerArn,
  };
  return {
    target,
    writeStatements: [],
    // The controller's target groups are matched to Services by their tags.
    readActions: ['elasticloadbalancing:DescribeTags'],
    kubernetes: true,
    problems: problemsOf(options, servicePort),
    description: `action "${options.actionName}" of ingress "${options.ingressName}" in namespace "${context.namespace}"`,
    arns: [{ key: 'routing.listenerArn', arn: options.listenerArn }],
  };
}

function problemsOf(options: IngressRoutingOptions, servicePort: string): string[] {
  const problems: string[] = [];
  const check = (value: string, pattern: RegExp, problem: string) => {
    if (literal(value) && !pattern.test(value)) problems.push(`${problem}, got ${JSON.stringify(value)}`);
  };
  check(options.ingressName, OBJECT_NAME, 'routing.ingressName must be a Kubernetes object name');
  check(options.actionName, ACTION_NAME, 'routing.actionName must be 1–63 letters, digits, "-", "_" or "."');
  check(options.stableServiceName, DNS_LABEL, 'routing.stableServiceName must be a Kubernetes Service name');
  check(options.canaryServiceName, DNS_LABEL, 'routing.canaryServiceName must be a Kubernetes Service name');
  check(servicePort, SERVICE_PORT, 'routing.servicePort must be a port number or a Service port name');
  check(options.listenerArn, LISTENER_ARN, 'routing.listenerArn must be an Application Load Balancer listener ARN');
  if (literal(options.stableServiceName) && options.stableServiceName === options.canaryServiceName) {
    problems.push('routing: stableServiceName and canaryServiceName must be different Services');
  }
  return problems;
}

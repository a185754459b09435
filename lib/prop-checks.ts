/**
 * Synth-time checks of CanaryRollout props that TypeScript cannot make: ARNs of the stack's own
 * region, account and of the right resource type; Kubernetes names by the DNS rules Kubernetes
 * applies; enum values, for callers in JavaScript (or any jsii language) where a string is a
 * string. Each problem starts with the prop's name, so a caller can map it to its own key names.
 */
import { Stack, Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { AFTER_PROMOTION, APPROVAL_MODES, DRIFT_POLICIES, INSUFFICIENT_DATA_POLICIES } from '../lambda/domain/types';

/** What the checks read; the props of CanaryRollout satisfy it. */
export interface CheckedProps {
  /** ARNs the routing names, with the key a problem starts with (`routing.listener`). */
  readonly routingArns?: ReadonlyArray<{ readonly key: string; readonly arn: string; readonly targetGroup?: boolean }>;
  readonly clusterArn?: string;
  readonly namespace: string;
  readonly stableDeployment: string;
  readonly canaryDeployment: string;
  readonly alarmArns: readonly string[];
  readonly approvalTopicArn?: string;
  readonly notificationTopicArn?: string;
  readonly eventBusArn?: string;
  readonly stateMachineName?: string;
  readonly approval?: string;
  readonly insufficientData?: string;
  readonly afterPromotion?: string;
  readonly onDrift?: string;
}

/** RFC 1123 label: what Kubernetes requires of a namespace name. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** RFC 1123 subdomain: what Kubernetes requires of a Deployment name. */
const DNS_SUBDOMAIN_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const STATE_MACHINE_NAME = /^[A-Za-z0-9_-]{1,80}$/;
const ARN = /^arn:(aws[a-z-]*):([a-z0-9-]+):([a-z0-9-]*):(\d{12}|aws|):(.+)$/;

interface ArnRule {
  readonly service: string;
  /** The resource part must start with this. */
  readonly resource: string;
  readonly what: string;
}

const RULES = {
  targetGroup: { service: 'elasticloadbalancing', resource: 'targetgroup/', what: 'a target group' },
  cluster: { service: 'eks', resource: 'cluster/', what: 'an EKS cluster' },
  alarm: { service: 'cloudwatch', resource: 'alarm:', what: 'a CloudWatch alarm' },
  topic: { service: 'sns', resource: '', what: 'an SNS topic' },
  bus: { service: 'events', resource: 'event-bus/', what: 'an EventBridge event bus' },
} satisfies Record<string, ArnRule>;

export function propProblems(scope: IConstruct, props: CheckedProps): string[] {
  const stack = Stack.of(scope);
  const problems: string[] = [];
  const arn = (key: string, value: string | undefined, rule?: ArnRule) => {
    const problem = arnProblem(stack, value, rule);
    if (problem) problems.push(`${key} ${problem}`);
  };
  // Their resource type is the routing's to check (lib/routing.ts); here only where they are.
  for (const { key, arn: value, targetGroup } of props.routingArns ?? []) arn(key, value, targetGroup ? RULES.targetGroup : undefined);
  arn('cluster', props.clusterArn, RULES.cluster);
  props.alarmArns.forEach((alarmArn, i) => arn(`alarms[${i}]`, alarmArn, RULES.alarm));
  arn('approvalTopic', props.approvalTopicArn, RULES.topic);
  arn('notificationTopic', props.notificationTopicArn, RULES.topic);
  arn('eventBus', props.eventBusArn, RULES.bus);

  if (literal(props.namespace) && !DNS_LABEL.test(props.namespace)) {
    problems.push(
      `namespace must be a Kubernetes namespace name (RFC 1123 label: at most 63 lowercase letters, digits and "-", starting and ending with a letter or digit), got ${JSON.stringify(props.namespace)}`,
    );
  }
  for (const key of ['stableDeployment', 'canaryDeployment'] as const) {
    const value = props[key];
    if (literal(value) && !isDnsSubdomain(value)) {
      problems.push(
        `${key} must be a Kubernetes Deployment name (RFC 1123 subdomain: at most 253 lowercase letters, digits, "-" and ".", each dot-separated part starting and ending with a letter or digit), got ${JSON.stringify(value)}`,
      );
    }
  }
  if (literal(props.stateMachineName) && !STATE_MACHINE_NAME.test(props.stateMachineName)) {
    problems.push(`stateMachineName must be 1–80 letters, digits, "-" or "_", got ${JSON.stringify(props.stateMachineName)}`);
  }

  const oneOf = (key: string, value: string | undefined, allowed: readonly string[]) => {
    if (value === undefined || (typeof value === 'string' && Token.isUnresolved(value)) || allowed.includes(value)) return;
    const hint = typeof value === 'string' ? didYouMean(value, allowed) : '';
    problems.push(`${key} must be one of ${allowed.map((v) => `"${v}"`).join(', ')}, got ${JSON.stringify(value)}${hint}`);
  };
  oneOf('approval', props.approval, APPROVAL_MODES);
  oneOf('insufficientData', props.insufficientData, INSUFFICIENT_DATA_POLICIES);
  oneOf('afterPromotion', props.afterPromotion, AFTER_PROMOTION);
  oneOf('onDrift', props.onDrift, DRIFT_POLICIES);
  return problems;
}

/** `, did you mean "x"?` for the closest candidate within a few edits, else ''. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const best = closest(word, candidates);
  return best === undefined ? '' : ` (did you mean "${best}"?)`;
}

/** The candidate nearest to `word` (case-insensitive edit distance), when it is near enough to be a typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (!best || distance < best.distance) best = { candidate, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(word.length / 3)) ? best.candidate : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

function isDnsSubdomain(value: string): boolean {
  return value.length <= 253 && value.split('.').every((label) => label.length <= 63 && DNS_SUBDOMAIN_LABEL.test(label));
}

function literal(value: string | undefined): value is string {
  return typeof value === 'string' && !Token.isUnresolved(value);
}

/** What is wrong with an ARN for this stack, or undefined. Parts that are tokens are not judged. */
function arnProblem(stack: Stack, value: string | undefined, rule?: ArnRule): string | undefined {
  if (!literal(value)) return undefined;
  const match = ARN.exec(value);
  if (!match) return rule ? `must be the ARN of ${rule.what}, got ${JSON.stringify(value)}` : undefined;
  const [, , service, region, account, resource] = match as unknown as [string, string, string, string, string, string];
  if (rule && (service !== rule.service || !resource.startsWith(rule.resource))) {
    return `must be the ARN of ${rule.what} (${rule.service}:…:${rule.resource}…), got ${JSON.stringify(value)}`;
  }
  if (!Token.isUnresolved(stack.region) && region !== stack.region) {
    return `is in region ${JSON.stringify(region)}, but the stack deploys to ${JSON.stringify(stack.region)}: ${value}`;
  }
  if (!Token.isUnresolved(stack.account) && account !== stack.account) {
    return `is in account ${JSON.stringify(account)}, but the stack deploys to ${JSON.stringify(stack.account)}: ${value}`;
  }
  return undefined;
}

/**
 * The routing modes `npm start -- --routing <kind>` runs, and which of them take a tester header.
 * Pure: the command line and `runSandbox` check options here before anything starts.
 */
import { testerHeaderSchema } from '../lambda/domain/target-schema';
import type { TesterHeader } from '../lambda/domain/types';

export const ROUTING_KINDS = ['alb-listener', 'alb-rule', 'ingress', 'istio', 'replica-ratio'] as const;
export type RoutingKind = (typeof ROUTING_KINDS)[number];

export interface RoutingModeSpec {
  /** What steers the traffic and what the proxy follows, for `--help` and the run's first lines. */
  readonly story: string;
  /** Why the mode takes no tester header; undefined for a mode with a tester route. */
  readonly noTesterRoute?: string;
}

export const ROUTING_MODES: Record<RoutingKind, RoutingModeSpec> = {
  'alb-listener': {
    story: "an ALB listener's default action: serinus writes its weights, the proxy follows its rules by priority",
  },
  'alb-rule': {
    story: 'one rule of an ALB listener: serinus writes its weights, the proxy follows the listener’s rules by priority',
  },
  ingress: {
    story:
      'an ALB owned by an Ingress: serinus edits the actions annotation, the Load Balancer Controller reconciles it into the listener rule after a lag, and the proxy follows that rule',
    noTesterRoute:
      'the ingress routing has no tester route: the AWS Load Balancer Controller owns the listener’s rules, so serinus adds none',
  },
  istio: {
    story: "an Istio VirtualService: serinus edits the route's destination weights, the proxy follows the VirtualService's routes and matches",
  },
  'replica-ratio': {
    story: 'one Service over both Deployments: serinus scales them, the proxy spreads requests over the ready pods of both',
    noTesterRoute: 'the replica-ratio routing has no tester route: every pod behind the Service takes its share of all requests',
  },
};

/** The header a tester sends when none is given. */
export const DEFAULT_TESTER_HEADER: TesterHeader = { name: 'x-canary', value: 'always' };

/** One request in this many carries the tester header. */
export const TESTER_EVERY = 10;

export function isRoutingKind(value: string): value is RoutingKind {
  return (ROUTING_KINDS as readonly string[]).includes(value);
}

/**
 * `name=value` (or `name: value`) as a header; `none` for no tester traffic.
 * @returns the header, null for `none`, or a sentence saying what is wrong
 */
export function parseTesterHeader(raw: string): TesterHeader | null | string {
  if (raw.trim().toLowerCase() === 'none') return null;
  const match = /^\s*([^=:\s]+)\s*[=:]\s*(.*?)\s*$/.exec(raw);
  if (!match) return `--tester-header must be name=value (e.g. x-canary=always) or none; got "${raw}"`;
  const header = { name: match[1]!, value: match[2]! };
  const parsed = testerHeaderSchema.safeParse(header);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return `--tester-header: the ${String(issue.path[0])} ${issue.message}; got "${raw}"`;
  }
  return header;
}

/**
 * The tester header a run uses: the given one, or the default where the mode has a tester route.
 * @returns the header (undefined for none), or a sentence saying why the mode refuses it
 */
export function testerHeaderFor(kind: RoutingKind, given: TesterHeader | null | undefined): { header?: TesterHeader } | { refusal: string } {
  const spec = ROUTING_MODES[kind];
  if (given === null) return {};
  if (given === undefined) return spec.noTesterRoute ? {} : { header: DEFAULT_TESTER_HEADER };
  if (spec.noTesterRoute) return { refusal: `--tester-header: ${spec.noTesterRoute}; leave it out` };
  // Istio's webhook refuses other header names (ValidateHTTPHeaderName).
  if (kind === 'istio' && !/^[-_A-Za-z0-9]+$/.test(given.name)) {
    return { refusal: `--tester-header: Istio accepts header names of letters, digits, "-" and "_" only; got "${given.name}"` };
  }
  return { header: given };
}

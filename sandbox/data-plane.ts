/**
 * Where the sandbox's proxy sends each request: a model of the data plane of each routing mode,
 * read from the fakes at the moment of the request, never from what serinus meant to write.
 * - ALB (a listener's default action, a rule, or the rule the Load Balancer Controller reconciles
 *   from an Ingress): the listener's rules by priority, the first whose conditions all match
 *   (path-pattern, http-header, …), then the weights of its forward action. A tester rule with an
 *   http-header condition therefore takes the requests that carry the header the moment it exists.
 * - Istio: the VirtualService's http routes in order, the first whose `match` holds (headers,
 *   uri), then the weights of its destinations.
 * - Replica ratio: the ready pods of both Deployments behind one Service, each pod taking its turn.
 * Each route spreads its requests by smooth weighted round robin (as nginx does it): over any run
 * of requests each side gets its share within one request, and a weight change counts from the
 * next request.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Action, Rule, RuleCondition } from '@aws-sdk/client-elastic-load-balancing-v2';

export type Side = 'stable' | 'canary';

/** Raw weights (ALB 0–999, Istio percent) or ready pods, per side. */
export interface Split {
  readonly stable: number;
  readonly canary: number;
}

/** What the data plane sees of a request. */
export interface RequestView {
  /** The path with its query string, as the request line has it. */
  readonly path: string;
  readonly method: string;
  readonly headers: IncomingHttpHeaders;
}

export interface RouteDecision {
  readonly side: Side;
  /** What took the request, as a person reads it: `rule 10`, `default action`, `route primary`, `ready pods`. */
  readonly route: string;
  /** The split of that route when it took the request. */
  readonly split: Split;
}

export interface DataPlane {
  /** One line for the start of a run: what the proxy follows. */
  readonly describe: string;
  /** The side that serves the request; undefined when no route forwards it anywhere. */
  route(request: RequestView): RouteDecision | undefined;
}

/** Smooth weighted round robin over the two sides; ties go to stable. */
export class WeightedRoundRobin {
  private readonly current: Record<Side, number> = { stable: 0, canary: 0 };

  pick(split: Split): Side | undefined {
    const total = split.stable + split.canary;
    if (!(total > 0)) return undefined;
    this.current.stable += split.stable;
    this.current.canary += split.canary;
    const chosen: Side = split.canary > 0 && (split.stable === 0 || this.current.canary > this.current.stable) ? 'canary' : 'stable';
    this.current[chosen] -= total;
    return chosen;
  }
}

/** One round robin per route, so a tester route's requests do not shift the main route's turns. */
class Balancers {
  private readonly byRoute = new Map<string, WeightedRoundRobin>();

  decide(route: string, split: Split): RouteDecision | undefined {
    let balancer = this.byRoute.get(route);
    if (!balancer) {
      balancer = new WeightedRoundRobin();
      this.byRoute.set(route, balancer);
    }
    const side = balancer.pick(split);
    return side && { side, route, split };
  }
}

// ---- ALB ------------------------------------------------------------------------------------

export interface AlbDataPlaneOptions {
  /** The listener's rules as the load balancer applies them now: by priority, the default rule last. */
  readonly rules: () => readonly Rule[];
  /** Which side a target group serves; undefined for one that is neither. */
  readonly sideOf: (targetGroupArn: string) => Side | undefined;
  readonly describe: string;
}

export function albDataPlane(options: AlbDataPlaneOptions): DataPlane {
  const balancers = new Balancers();
  return {
    describe: options.describe,
    route(request) {
      const rule = options.rules().find((candidate) => candidate.IsDefault || (candidate.Conditions ?? []).every((c) => conditionHolds(c, request)));
      if (!rule) return undefined;
      const split = forwardSplit(rule.Actions ?? [], options.sideOf);
      if (!split) return undefined;
      return balancers.decide(rule.IsDefault ? 'default action' : `rule ${rule.Priority}`, split);
    },
  };
}

function forwardSplit(actions: readonly Action[], sideOf: (arn: string) => Side | undefined): Split | undefined {
  const forward = actions.find((action) => action.Type === 'forward');
  if (!forward) return undefined;
  const tuples = forward.ForwardConfig?.TargetGroups ?? (forward.TargetGroupArn ? [{ TargetGroupArn: forward.TargetGroupArn, Weight: 1 }] : []);
  const split = { stable: 0, canary: 0 };
  for (const tuple of tuples) {
    const side = tuple.TargetGroupArn ? sideOf(tuple.TargetGroupArn) : undefined;
    if (side) split[side] += tuple.Weight ?? 1;
  }
  return split;
}

/**
 * One ELBv2 rule condition (API_RuleCondition): its values are alternatives, a rule's conditions
 * all apply. Header names and values, hosts and methods compare case-insensitively, paths do not;
 * `*` and `?` are wildcards. A field the sandbox cannot judge never matches.
 */
export function conditionHolds(condition: RuleCondition, request: RequestView): boolean {
  const path = request.path.split('?')[0] ?? '/';
  switch (condition.Field) {
    case 'path-pattern':
      return anyGlob(condition.PathPatternConfig?.Values ?? condition.Values, path, false);
    case 'host-header':
      return anyGlob(condition.HostHeaderConfig?.Values ?? condition.Values, headerValues(request.headers, 'host')[0] ?? '', true);
    case 'http-header': {
      const config = condition.HttpHeaderConfig;
      if (!config?.HttpHeaderName) return false;
      return headerValues(request.headers, config.HttpHeaderName).some((value) => anyGlob(config.Values, value, true));
    }
    case 'http-request-method':
      return (condition.HttpRequestMethodConfig?.Values ?? []).includes(request.method.toUpperCase());
    default:
      return false;
  }
}

function anyGlob(patterns: readonly string[] | undefined, value: string, ignoreCase: boolean): boolean {
  return (patterns ?? []).some((pattern) => glob(pattern, ignoreCase).test(value));
}

function glob(pattern: string, ignoreCase: boolean): RegExp {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'is' : 's');
}

function headerValues(headers: IncomingHttpHeaders, name: string): string[] {
  const value = headers[name.toLowerCase()];
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

// ---- Istio ----------------------------------------------------------------------------------

export interface IstioDestination {
  readonly host: string;
  readonly subset?: string;
}

export interface IstioDataPlaneOptions {
  /** The VirtualService's `spec` now. */
  readonly spec: () => unknown;
  readonly sideOf: (destination: IstioDestination) => Side | undefined;
  readonly describe: string;
}

export function istioDataPlane(options: IstioDataPlaneOptions): DataPlane {
  const balancers = new Balancers();
  return {
    describe: options.describe,
    route(request) {
      const spec = options.spec();
      const routes = isObject(spec) && Array.isArray(spec.http) ? spec.http : [];
      for (const [index, route] of routes.entries()) {
        if (!isObject(route)) continue;
        const matches = Array.isArray(route.match) ? route.match : [];
        if (matches.length > 0 && !matches.some((match) => istioMatchHolds(match, request))) continue;
        const split = { stable: 0, canary: 0 };
        const destinations = Array.isArray(route.route) ? route.route : [];
        for (const entry of destinations) {
          if (!isObject(entry) || !isObject(entry.destination)) continue;
          const side = options.sideOf({
            host: String(entry.destination.host),
            ...(typeof entry.destination.subset === 'string' && { subset: entry.destination.subset }),
          });
          // A lone destination without a weight takes everything.
          const weight = typeof entry.weight === 'number' ? entry.weight : destinations.length === 1 ? 100 : 0;
          if (side) split[side] += weight;
        }
        return balancers.decide(`route ${typeof route.name === 'string' ? route.name : `#${index + 1}`}`, split);
      }
      return undefined;
    },
  };
}

/** One HTTPMatchRequest: every condition it names holds (headers by exact, prefix or regex; uri likewise). */
export function istioMatchHolds(match: unknown, request: RequestView): boolean {
  if (!isObject(match)) return true;
  const path = request.path.split('?')[0] ?? '/';
  if (isObject(match.uri) && !stringMatch(match.uri, path, match.ignoreUriCase === true)) return false;
  if (isObject(match.method) && !stringMatch(match.method, request.method, false)) return false;
  if (isObject(match.headers)) {
    for (const [name, condition] of Object.entries(match.headers)) {
      const values = headerValues(request.headers, name);
      if (!isObject(condition) || !values.some((value) => stringMatch(condition, value, false))) return false;
    }
  }
  return true;
}

function stringMatch(condition: Record<string, unknown>, value: string, ignoreCase: boolean): boolean {
  const fold = (s: string) => (ignoreCase ? s.toLowerCase() : s);
  if (typeof condition.exact === 'string') return fold(value) === fold(condition.exact);
  if (typeof condition.prefix === 'string') return fold(value).startsWith(fold(condition.prefix));
  if (typeof condition.regex === 'string') return new RegExp(`^(?:${condition.regex})$`, ignoreCase ? 'i' : '').test(value);
  return false;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---- Replica ratio --------------------------------------------------------------------------

export interface ReplicaRatioDataPlaneOptions {
  /** Ready pods of the stable and the canary Deployment now. */
  readonly readyPods: () => Split;
  readonly describe: string;
}

export function replicaRatioDataPlane(options: ReplicaRatioDataPlaneOptions): DataPlane {
  const balancers = new Balancers();
  return {
    describe: options.describe,
    route: () => balancers.decide('ready pods', options.readyPods()),
  };
}

/**
 * The weights of one named HTTP route of an Istio VirtualService, read and rewritten without
 * touching anything else of the spec, and the tester route that sends a header to the canary.
 * Pure: the Istio router reads the object, these functions decide, the router writes.
 *
 * Istio's rules (networking.istio.io VirtualService reference, HTTPRouteDestination.weight, and the
 * webhook's check `total destination weight %v != 100`): each weight is 0–100; with more than one
 * destination the weights must add up to 100; a single destination takes all traffic whatever its
 * weight says. serinus writes canary w, stable 100 − w, so its writes always pass.
 */
import type { TesterHeader, Weights } from './types';

/** One side of the route: a host (a Service), and optionally a subset of a DestinationRule. */
export interface IstioDestinationRef {
  readonly host: string;
  readonly subset?: string;
}

/** Where in a VirtualService serinus steers. */
export interface IstioRouteRef {
  /** The VirtualService's namespace: short host names are relative to it. */
  readonly namespace: string;
  /** `spec.http[].name` of the steered route. */
  readonly route: string;
  readonly stable: IstioDestinationRef;
  readonly canary: IstioDestinationRef;
}

/** A VirtualService spec, as loosely as it comes off the wire: every field is kept as read. */
export type VirtualServiceSpec = Record<string, unknown> & { http?: unknown };

type Json = Record<string, unknown>;

/** The route's live split, when the route can be steered. */
export interface RouteView {
  readonly steerable: true;
  readonly weights: Weights;
  /** Whether the canary destination is in the route (at any weight). */
  readonly canaryAttached: boolean;
}

/** Why the route cannot be steered. `gone`: nothing routes through it (missing, a redirect, a delegate). */
export interface RouteProblem {
  readonly steerable: false;
  readonly gone: boolean;
  readonly problem: string;
}

/** The name of the tester route serinus puts before the steered route. */
export function testerRouteName(route: string): string {
  return `serinus-tester-${route}`;
}

/**
 * A host as Istio resolves it from a VirtualService in `namespace`: a short name is the Service of
 * that namespace, and `<svc>.<ns>`, `<svc>.<ns>.svc` and `<svc>.<ns>.svc.cluster.local` are one host.
 */
export function canonicalHost(host: string, namespace: string): string {
  const lower = host.trim().toLowerCase().replace(/\.$/, '');
  const bare = lower.replace(/\.svc(\.cluster\.local)?$/, '');
  return bare.includes('.') ? bare : `${bare}.${namespace}`;
}

/** Whether a route destination is the given side. */
export function isDestination(destination: unknown, side: IstioDestinationRef, namespace: string): boolean {
  if (!isObject(destination) || typeof destination.host !== 'string') return false;
  const subset = typeof destination.subset === 'string' && destination.subset !== '' ? destination.subset : undefined;
  return canonicalHost(destination.host, namespace) === canonicalHost(side.host, namespace) && subset === (side.subset || undefined);
}

/** `host "web" subset "v2"`, for sentences. */
export function describeDestination(side: IstioDestinationRef): string {
  return side.subset ? `host "${side.host}" subset "${side.subset}"` : `host "${side.host}"`;
}

/** Reads the steered route's raw weights; a route serinus cannot steer is a problem, never a throw. */
export function readRoute(spec: VirtualServiceSpec, ref: IstioRouteRef): RouteView | RouteProblem {
  const found = findRoute(spec, ref.route);
  if (!found) return { steerable: false, gone: true, problem: `has no http route named "${ref.route}"` };
  const entries = destinationsOf(found.route);
  if (entries.length === 0) {
    return { steerable: false, gone: true, problem: `route "${ref.route}" has no destinations (a redirect or a delegate), so no traffic to steer` };
  }
  const kinds = entries.map((entry) => sideOf(entry, ref));
  const foreign = entries.filter((_, i) => kinds[i] === 'foreign');
  if (foreign.length > 0) {
    return {
      steerable: false,
      gone: false,
      problem:
        `route "${ref.route}" also routes to ${foreign.map((e) => describeEntry(e)).join(', ')}, which is neither the stable ` +
        `(${describeDestination(ref.stable)}) nor the canary (${describeDestination(ref.canary)}) destination; remove it from the route ` +
        'or point serinus at a route that routes only to those two',
    };
  }
  const stables = kinds.filter((k) => k === 'stable').length;
  const canaries = kinds.filter((k) => k === 'canary').length;
  if (stables !== 1 || canaries > 1) {
    const what = stables === 0 ? `does not include the stable destination (${describeDestination(ref.stable)})` : 'lists a destination twice';
    return { steerable: false, gone: false, problem: `route "${ref.route}" ${what}; serinus needs it once, with the canary at most once` };
  }
  if (entries.length === 1) {
    // A single destination takes all traffic, whatever its weight: how a route looks before its first rollout.
    return { steerable: true, weights: { stable: 100, canary: 0 }, canaryAttached: false };
  }
  const weightOf = (side: 'stable' | 'canary') => weight(entries[kinds.indexOf(side)]);
  return { steerable: true, weights: { stable: weightOf('stable'), canary: weightOf('canary') }, canaryAttached: true };
}

/**
 * The spec with the steered route's stable and canary weights set, the canary destination added
 * after stable (with stable's port) when it is missing. Everything else, the other fields of each
 * destination entry included, is kept. Call only on a route `readRoute` found steerable.
 */
export function withWeights(spec: VirtualServiceSpec, ref: IstioRouteRef, weights: Weights): VirtualServiceSpec {
  return mapRoute(spec, ref.route, (route) => {
    const entries = destinationsOf(route).map((entry) => {
      const side = sideOf(entry, ref);
      return side === 'foreign' ? entry : { ...entry, weight: weights[side] };
    });
    if (!entries.some((entry) => sideOf(entry, ref) === 'canary')) {
      const at = entries.findIndex((entry) => sideOf(entry, ref) === 'stable');
      entries.splice(at + 1, 0, { destination: destinationFor(ref.canary, entries[at]), weight: weights.canary });
    }
    return { ...route, route: entries };
  });
}

/** What `restoreStable` writes, and what it found. */
export interface RestorePlan {
  /** The spec to write, or undefined when the route already routes nothing to the canary. */
  readonly spec?: VirtualServiceSpec;
  readonly nothingToSteer: boolean;
  readonly findings: string[];
}

/**
 * Never throws: whatever the route holds, the plan puts stable at 100, the canary at 0 and any other
 * destination at 0 (naming it), adds stable back when it was missing, and removes the tester route.
 * A route that is missing or routes nowhere is `nothingToSteer` (its tester route still goes).
 */
export function planRestore(spec: VirtualServiceSpec, ref: IstioRouteRef): RestorePlan {
  const withoutTester = withoutTesterRoute(spec, ref.route);
  const base = withoutTester ?? spec;
  const found = findRoute(base, ref.route);
  const entries = found ? destinationsOf(found.route) : [];
  if (!found || entries.length === 0) {
    const problem = found ? `route "${ref.route}" has no destinations (a redirect or a delegate)` : `the VirtualService has no http route named "${ref.route}"`;
    return { spec: withoutTester, nothingToSteer: true, findings: [`${problem}, so no traffic goes through it to either side`] };
  }

  const findings: string[] = [];
  const kinds = entries.map((entry) => sideOf(entry, ref));
  const singleStable = entries.length === 1 && kinds[0] === 'stable';
  let stableSeen = false;
  let canarySeen = false;
  let changed = false;
  const next: Json[] = [];
  entries.forEach((entry, i) => {
    const kind = kinds[i];
    let wanted = 0;
    if (kind === 'stable' && !stableSeen) {
      stableSeen = true;
      wanted = 100;
    } else if (kind === 'stable') {
      findings.push(`route "${ref.route}" listed the stable destination twice; the second one set to 0`);
    } else if (kind === 'canary' && canarySeen) {
      findings.push(`route "${ref.route}" listed the canary destination twice`);
    } else if (kind === 'foreign') {
      findings.push(
        weight(entry) > 0
          ? `route "${ref.route}" routed to ${describeEntry(entry)} (weight ${weight(entry)}), which is neither the stable nor the canary destination; set to 0`
          : `route "${ref.route}" also lists ${describeEntry(entry)} at weight 0, which is neither the stable nor the canary destination`,
      );
    }
    if (kind === 'canary') canarySeen = true;
    // A single stable destination takes all traffic whatever its weight: left as it is.
    if (!singleStable && weight(entry) !== wanted) changed = true;
    next.push(singleStable ? entry : { ...entry, weight: wanted });
  });
  if (!stableSeen) {
    findings.push(`route "${ref.route}" no longer routed to the stable destination (${describeDestination(ref.stable)}); put it back at weight 100`);
    const template = next[kinds.indexOf('canary')] ?? next[0];
    next.unshift({ destination: destinationFor(ref.stable, template), weight: 100 });
    changed = true;
  } else if (!singleStable && weight(entries[kinds.indexOf('stable')]) === 0) {
    findings.push(`route "${ref.route}" gave the stable destination weight 0; set it to 100`);
  }
  if (!changed) return { spec: withoutTester, nothingToSteer: false, findings };
  return { spec: mapRoute(base, ref.route, (route) => ({ ...route, route: next })), nothingToSteer: false, findings };
}

/**
 * The spec with the tester route just before the steered route: the steered route's matches, each
 * with the header added, so only requests the steered route would take and that carry the header
 * go to the canary; its other fields (rewrite, timeout, retries, headers, …) are copied so the
 * candidate is tried under the same conditions. An existing tester route is replaced.
 * Call only on a route `readRoute` found steerable.
 */
export function withTesterRoute(spec: VirtualServiceSpec, ref: IstioRouteRef, header: TesterHeader): VirtualServiceSpec {
  const base = withoutTesterRoute(spec, ref.route) ?? spec;
  const found = findRoute(base, ref.route)!;
  const { name: _name, match, route: _destinations, ...rest } = found.route;
  const headerMatch = { [header.name.toLowerCase()]: { exact: header.value } };
  const matches = Array.isArray(match) && match.length > 0 ? match : [{}];
  const entries = destinationsOf(found.route);
  const template = entries.find((entry) => sideOf(entry, ref) === 'canary') ?? entries.find((entry) => sideOf(entry, ref) === 'stable');
  const tester: Json = {
    name: testerRouteName(ref.route),
    ...rest,
    match: matches.map((m) => {
      const each = isObject(m) ? m : {};
      return { ...each, headers: { ...(isObject(each.headers) ? each.headers : {}), ...headerMatch } };
    }),
    route: [{ destination: destinationFor(ref.canary, template) }],
  };
  const http = [...httpRoutes(base)];
  http.splice(found.index, 0, tester);
  return { ...base, http };
}

/** The spec without the tester route, or undefined when it has none. */
export function withoutTesterRoute(spec: VirtualServiceSpec, route: string): VirtualServiceSpec | undefined {
  const http = httpRoutes(spec);
  const name = testerRouteName(route);
  const kept = http.filter((r) => !(isObject(r) && r.name === name));
  return kept.length === http.length ? undefined : { ...spec, http: kept };
}

export function hasTesterRoute(spec: VirtualServiceSpec, route: string): boolean {
  return withoutTesterRoute(spec, route) !== undefined;
}

function httpRoutes(spec: VirtualServiceSpec): unknown[] {
  return Array.isArray(spec.http) ? spec.http : [];
}

function findRoute(spec: VirtualServiceSpec, name: string): { index: number; route: Json } | undefined {
  const http = httpRoutes(spec);
  const index = http.findIndex((r) => isObject(r) && r.name === name);
  return index < 0 ? undefined : { index, route: http[index] as Json };
}

function mapRoute(spec: VirtualServiceSpec, name: string, change: (route: Json) => Json): VirtualServiceSpec {
  return { ...spec, http: httpRoutes(spec).map((r) => (isObject(r) && r.name === name ? change(r) : r)) };
}

function destinationsOf(route: Json): Json[] {
  return Array.isArray(route.route) ? route.route.filter(isObject) : [];
}

function sideOf(entry: Json, ref: IstioRouteRef): 'stable' | 'canary' | 'foreign' {
  if (isDestination(entry.destination, ref.stable, ref.namespace)) return 'stable';
  if (isDestination(entry.destination, ref.canary, ref.namespace)) return 'canary';
  return 'foreign';
}

/** A missing weight is 0 (proto3 default), which is what Istio's webhook adds up. */
function weight(entry: Json | undefined): number {
  return typeof entry?.weight === 'number' ? entry.weight : 0;
}

/** A destination for `side`, with the port of `template`'s destination when it has one. */
function destinationFor(side: IstioDestinationRef, template: Json | undefined): Json {
  const port = isObject(template?.destination) ? template.destination.port : undefined;
  return { host: side.host, ...(side.subset && { subset: side.subset }), ...(port !== undefined && { port }) };
}

function describeEntry(entry: Json): string {
  const destination = isObject(entry.destination) ? entry.destination : {};
  const host = typeof destination.host === 'string' ? destination.host : '(no host)';
  return describeDestination({ host, ...(typeof destination.subset === 'string' && { subset: destination.subset }) });
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

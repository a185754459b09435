/**
 * The AWS Load Balancer Controller's custom action annotation, `alb.ingress.kubernetes.io/actions.<name>`:
 * a JSON forward action whose target groups name Kubernetes Services, e.g.
 * `{"type":"forward","forwardConfig":{"targetGroups":[{"serviceName":"web","servicePort":80,"weight":90},
 * {"serviceName":"web-canary","servicePort":80,"weight":10}],"targetGroupStickinessConfig":{"enabled":true,"durationSeconds":200}}}`.
 *
 * The controller decodes it with Go's encoding/json, which matches keys case-insensitively: the older
 * PascalCase form (`Type`, `ForwardConfig`, `TargetGroups`, `ServiceName`, `ServicePort`, `Weight`) still
 * works, and so does `targetGroupARN` next to `targetGroupArn`. serinus reads any casing and writes the
 * documented camelCase keys, keeping every other key, the stickiness config and other entries' fields.
 * Pure: no I/O.
 */
import { ValidationFailedError } from '../errors';
import type { Weights } from './types';

/** The annotation key of a custom action. */
export function actionAnnotationKey(actionName: string): string {
  return `alb.ingress.kubernetes.io/actions.${actionName}`;
}

/** The stable and the canary Service of the action, and the port the annotation names them with. */
export interface IngressBackends {
  readonly stableService: string;
  readonly canaryService: string;
  /** A port number (`"80"`) or a Service port name (`"http"`), as the annotation writes it. */
  readonly servicePort: string;
}

/** What the action routes, read. */
export interface ForwardSplit {
  readonly weights: Weights;
  /** Whether the canary Service is one of the action's target groups (at any weight). */
  readonly canaryAttached: boolean;
}

/** ALB allows at most this many target groups in one forward action. */
const MAX_TARGET_GROUPS = 5;

/** The documented camelCase spelling of every key the controller reads in an action, by lower case. */
const CANONICAL_KEYS: Readonly<Record<string, string>> = Object.fromEntries(
  [
    'type',
    'forwardConfig',
    'targetGroups',
    'targetGroupARN',
    'serviceName',
    'servicePort',
    'weight',
    'targetGroupStickinessConfig',
    'enabled',
    'durationSeconds',
  ].map((key) => [key.toLowerCase(), key]),
);

type Json = Record<string, unknown>;

interface Entry {
  readonly fields: Json;
  readonly side: 'stable' | 'canary' | 'other';
  /** How a person names it: `service "web" port 80`, `target group arn:…`. */
  readonly label: string;
}

/** The parsed action with its keys in canonical camelCase (later duplicates win, as in Go). */
interface Action {
  readonly document: Json;
  readonly entries: Entry[];
}

/**
 * The weights the action gives the stable and the canary Service. A forward to the stable Service
 * alone is all traffic on stable (canary not attached).
 * @throws ValidationFailedError naming what keeps the action from being steered.
 */
export function readForwardSplit(raw: string | undefined, backends: IngressBackends, where: string): ForwardSplit {
  if (raw === undefined) {
    throw new ValidationFailedError(`${where} does not exist; add it, forwarding to ${describeBackends(backends)}`);
  }
  const action = parseAction(raw, backends, where);
  const type = action.document.type;
  if (type !== 'forward') {
    throw new ValidationFailedError(`${where} is a ${JSON.stringify(type)} action; serinus steers a "forward" action`);
  }
  if (action.entries.length === 0) {
    throw new ValidationFailedError(`${where} names no target groups; list ${describeBackends(backends)} in forwardConfig.targetGroups`);
  }
  const foreign = action.entries.filter((entry) => entry.side === 'other');
  if (foreign.length > 0) {
    throw new ValidationFailedError(
      `${where} forwards to ${foreign.map((entry) => entry.label).join(', ')}, which is neither the stable nor the canary ` +
        `Service (${describeBackends(backends)}); remove it from the action`,
    );
  }
  for (const side of ['stable', 'canary'] as const) {
    if (action.entries.filter((entry) => entry.side === side).length > 1) {
      throw new ValidationFailedError(`${where} lists the ${side} Service more than once`);
    }
  }
  const stable = action.entries.find((entry) => entry.side === 'stable');
  const canary = action.entries.find((entry) => entry.side === 'canary');
  if (!stable) {
    throw new ValidationFailedError(
      `${where} does not forward to the stable Service "${backends.stableService}" (port ${backends.servicePort}); add it ` +
        `(with the canary Service "${backends.canaryService}" at weight 0)`,
    );
  }
  const single = action.entries.length === 1;
  const stableWeight = weightOf(stable, single, where);
  if (!canary) return { weights: { stable: stableWeight, canary: 0 }, canaryAttached: false };
  return { weights: { stable: stableWeight, canary: weightOf(canary, single, where) }, canaryAttached: true };
}

/**
 * The annotation with the stable and the canary Service at `weights` (the canary entry is added when
 * missing), every key in camelCase, everything else as it was.
 * @throws ValidationFailedError when the action cannot be steered (see `readForwardSplit`).
 */
export function withForwardWeights(raw: string | undefined, backends: IngressBackends, weights: Weights, where: string): string {
  readForwardSplit(raw, backends, where);
  const action = parseAction(raw!, backends, where);
  const entries = action.entries.map((entry) =>
    entry.side === 'other' ? entry.fields : { ...entry.fields, weight: entry.side === 'stable' ? weights.stable : weights.canary },
  );
  if (!action.entries.some((entry) => entry.side === 'canary')) {
    const stableIndex = action.entries.findIndex((entry) => entry.side === 'stable');
    entries.splice(stableIndex + 1, 0, backendEntry(backends.canaryService, backends.servicePort, weights.canary));
  }
  return JSON.stringify(withEntries(action.document, entries));
}

export interface IngressRestorePlan {
  /** The action routes nothing to either Service (it is gone, or not a forward): nothing to write. */
  readonly nothingToSteer: boolean;
  /** The annotation to write, or undefined when stable already carries all the traffic. */
  readonly annotation?: string;
  /** What was found besides stable and canary, in sentences a person can act on. */
  readonly findings: string[];
}

/**
 * What it takes to put the traffic back on stable, whatever the annotation holds: the stable
 * Service at 100, the canary at 0 (kept in the action, room permitting, so the controller keeps its
 * target group and the load balancer keeps health-checking it), any other target group at 0. An
 * annotation that is not JSON is replaced by a forward to stable and canary. Never throws.
 */
export function planIngressRestore(raw: string | undefined, backends: IngressBackends, where: string): IngressRestorePlan {
  if (raw === undefined) {
    return { nothingToSteer: true, findings: [`${where} does not exist, so the action routes no traffic through serinus's Services`] };
  }
  let action: Action;
  try {
    action = parseAction(raw, backends, where);
  } catch {
    return {
      nothingToSteer: false,
      annotation: JSON.stringify(withEntries({ type: 'forward' }, [
        backendEntry(backends.stableService, backends.servicePort, 100),
        backendEntry(backends.canaryService, backends.servicePort, 0),
      ])),
      findings: [`${where} was not a JSON object; replaced it with a forward to the stable Service at 100 and the canary at 0`],
    };
  }
  if (action.document.type !== 'forward') {
    return {
      nothingToSteer: true,
      findings: [`${where} is a ${JSON.stringify(action.document.type)} action, so it routes no traffic to either Service`],
    };
  }

  const findings: string[] = [];
  const single = action.entries.length === 1;
  const weight = (entry: Entry): number => {
    const value = entry.fields.weight;
    if (value === undefined) return single ? 1 : 0;
    return typeof value === 'number' && Number.isInteger(value) ? value : Number.NaN;
  };
  const foreign = action.entries.filter((entry) => entry.side === 'other');
  for (const entry of foreign) {
    const w = weight(entry);
    findings.push(
      w === 0
        ? `${where} also lists ${entry.label} at weight 0, which is neither the stable nor the canary Service`
        : `${where} forwarded to ${entry.label} (weight ${String(entry.fields.weight ?? 1)}), which is neither the stable nor the canary Service; set to 0`,
    );
  }
  const stables = action.entries.filter((entry) => entry.side === 'stable');
  const canaries = action.entries.filter((entry) => entry.side === 'canary');
  if (stables.length === 0) findings.push(`${where} no longer forwarded to the stable Service "${backends.stableService}"; put it back at weight 100`);
  else if (stables.some((entry) => weight(entry) === 0)) findings.push(`${where} gave the stable Service weight 0; set it to 100`);
  for (const entry of action.entries.filter((e) => Number.isNaN(weight(e)))) {
    findings.push(`${where} gave ${entry.label} the weight ${JSON.stringify(entry.fields.weight)}, which is not a whole number; rewritten`);
  }
  if (stables.length > 1) findings.push(`${where} listed the stable Service ${stables.length} times; kept one`);
  if (canaries.length > 1) findings.push(`${where} listed the canary Service ${canaries.length} times; kept one`);
  const room = foreign.length < MAX_TARGET_GROUPS - 1;
  if (canaries.length === 0 && room) {
    findings.push(`${where} no longer listed the canary Service "${backends.canaryService}"; put it back at weight 0 so its target group stays health-checked`);
  }

  const canaryDone = canaries.length === 0 ? !room : canaries.length === 1 && weight(canaries[0]!) === 0;
  const done = stables.length === 1 && weight(stables[0]!) === 100 && canaryDone && foreign.every((entry) => weight(entry) === 0);
  if (done) return { nothingToSteer: false, findings };

  const entries: Json[] = [];
  let stableWritten = false;
  let canaryWritten = false;
  for (const entry of action.entries) {
    if (entry.side === 'stable') {
      if (!stableWritten) entries.push({ ...entry.fields, weight: 100 });
      stableWritten = true;
    } else if (entry.side === 'canary') {
      if (!canaryWritten) entries.push({ ...entry.fields, weight: 0 });
      canaryWritten = true;
    } else {
      entries.push({ ...entry.fields, weight: 0 });
    }
  }
  if (!stableWritten) entries.unshift(backendEntry(backends.stableService, backends.servicePort, 100));
  if (!canaryWritten && entries.length < MAX_TARGET_GROUPS) {
    const stableIndex = entries.findIndex((fields) => sideOf(fields, backends) === 'stable');
    entries.splice(stableIndex + 1, 0, backendEntry(backends.canaryService, backends.servicePort, 0));
  }
  return { nothingToSteer: false, annotation: JSON.stringify(withEntries(action.document, entries)), findings };
}

/** The entry the annotation holds for a Service: a numeric port as a number, a port name as a string. */
function backendEntry(serviceName: string, servicePort: string, weight: number): Json {
  return { serviceName, servicePort: /^\d+$/.test(servicePort) ? Number(servicePort) : servicePort, weight };
}

function describeBackends(backends: IngressBackends): string {
  return `the stable Service "${backends.stableService}" and the canary Service "${backends.canaryService}" (port ${backends.servicePort})`;
}

function weightOf(entry: Entry, single: boolean, where: string): number {
  const value = entry.fields.weight;
  // ALB's default weight is 1: a lone target group carries all the traffic; next to others it is ambiguous.
  if (value === undefined) {
    if (single) return 1;
    throw new ValidationFailedError(`${where} gives ${entry.label} no weight`);
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 999) {
    throw new ValidationFailedError(`${where} gives ${entry.label} the weight ${JSON.stringify(value)}; a weight is a whole number from 0 to 999`);
  }
  return value;
}

function parseAction(raw: string, backends: IngressBackends, where: string): Action {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ValidationFailedError(`${where} is not JSON: ${JSON.stringify(raw.slice(0, 80))}`);
  }
  if (!isObject(parsed)) throw new ValidationFailedError(`${where} is not a JSON object`);
  const document = camelCased(parsed) as Json;
  const forwardConfig = document.forwardConfig;
  let listed: unknown[];
  if (forwardConfig === undefined) {
    // The simplified schema: `{"type":"forward","targetGroupARN":"…"}` forwards to one target group.
    listed = document.targetGroupARN !== undefined ? [{ targetGroupARN: document.targetGroupARN }] : [];
  } else {
    if (!isObject(forwardConfig)) throw new ValidationFailedError(`${where}: forwardConfig is not an object`);
    const groups = forwardConfig.targetGroups ?? [];
    if (!Array.isArray(groups)) throw new ValidationFailedError(`${where}: forwardConfig.targetGroups is not a list`);
    listed = groups;
  }
  const entries = listed.map((fields, index): Entry => {
    if (!isObject(fields)) throw new ValidationFailedError(`${where}: target group ${index + 1} is not an object`);
    const side = sideOf(fields, backends);
    const label =
      fields.serviceName !== undefined
        ? `service ${JSON.stringify(fields.serviceName)} port ${String(fields.servicePort)}`
        : `target group ${String(fields.targetGroupARN)}`;
    return { fields, side, label };
  });
  return { document, entries };
}

function sideOf(fields: Json, backends: IngressBackends): Entry['side'] {
  if (fields.targetGroupARN !== undefined || typeof fields.serviceName !== 'string') return 'other';
  if (fields.servicePort === undefined || String(fields.servicePort) !== backends.servicePort) return 'other';
  if (fields.serviceName === backends.stableService) return 'stable';
  if (fields.serviceName === backends.canaryService) return 'canary';
  return 'other';
}

/**
 * The document with its target groups replaced; a simplified-schema `targetGroupARN` moves into
 * `forwardConfig`, where the controller reads the same target group.
 */
function withEntries(document: Json, entries: Json[]): Json {
  const forwardConfig = isObject(document.forwardConfig) ? document.forwardConfig : {};
  const result: Json = { ...document };
  if (document.forwardConfig === undefined) delete result.targetGroupARN;
  result.forwardConfig = { ...forwardConfig, targetGroups: entries };
  if (!('type' in result)) result.type = 'forward';
  return result;
}

/** Every known key in its camelCase spelling, in place; unknown keys stay as written. Later duplicates win, as in Go. */
function camelCased(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelCased);
  if (!isObject(value)) return value;
  const result: Json = {};
  for (const [key, field] of Object.entries(value)) {
    const canonical = CANONICAL_KEYS[key.toLowerCase()] ?? key;
    if (canonical in result) delete result[canonical];
    result[canonical] = camelCased(field);
  }
  return result;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

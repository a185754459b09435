/**
 * A small, stateful fake of the Kubernetes API: just enough of apps/v1 Deployments (read, patch,
 * scale) for the EKS adapter, the workflow flow tests and the local sandbox. It also plays the
 * Deployment controller: a spec change bumps `metadata.generation`, and after `rolloutDelayMs`
 * the status catches up (or reports ProgressDeadlineExceeded when a failure was armed).
 *
 * Free of jest on purpose, so a sandbox can run it as a plain server.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { ORIGIN_HEADER, originFromHeader, originMatches, type CallOrigin } from './call-origin';
import { testCa } from './certificate-authority';
import { registerFault, registerHold, type ActiveFault, type ActiveHold } from './fault-registry';
import { copyData } from './copy-data';

export interface FakeContainer {
  readonly name: string;
  readonly image: string;
}

export interface FakeDeploymentCondition {
  readonly type: string;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason?: string;
  readonly message?: string;
}

export interface FakeDeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  conditions?: FakeDeploymentCondition[];
}

/** The stored object, shaped like the API's apps/v1 Deployment (only the fields the fake uses). */
export interface FakeDeployment {
  apiVersion: 'apps/v1';
  kind: 'Deployment';
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    generation: number;
    resourceVersion: string;
    creationTimestamp: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec: {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string> };
      spec: { containers: FakeContainer[] };
    };
    progressDeadlineSeconds: number;
  };
  status: FakeDeploymentStatus;
}

export interface FakeRequest {
  readonly method: string;
  /** Path and query string, e.g. `/apis/apps/v1/namespaces/shop/deployments/checkout`. */
  readonly path: string;
  readonly contentType?: string;
  /** The parsed JSON body, when there is one. */
  readonly body?: unknown;
  /** The status code the fake answered with. */
  readonly status: number;
  /** The handler whose invocation sent it (see `call-origin.ts`), when the engine ran one. */
  readonly handler?: string;
  /** The workflow state that invoked that handler. */
  readonly state?: string;
}

/**
 * - `throttled`: 429 TooManyRequests (API priority and fairness).
 * - `serverError`: 503 ServiceUnavailable.
 * - `timeout`: the connection drops before the server acted.
 * - `accessDenied`: 403 Forbidden (RBAC).
 * - `lostReply`: the server applies the request, then the connection drops.
 */
export type KubeFaultKind = 'throttled' | 'serverError' | 'timeout' | 'accessDenied' | 'lostReply';

export interface KubeRequestMatch {
  /** @default - any method */
  readonly method?: string;
  /** The path (without query) equals this string or matches this pattern. @default - any path */
  readonly path?: string | RegExp;
  /** Only requests whose parsed body passes. */
  readonly match?: (body: unknown) => boolean;
  /** Only requests sent by this handler's invocations. @default - any handler, or none */
  readonly handler?: string;
  /** Only requests sent by the invocation of this workflow state. @default - any state, or none */
  readonly state?: string;
}

export interface KubeFaultSpec extends KubeRequestMatch {
  readonly kind: KubeFaultKind;
  /** @default 1 */
  readonly times?: number | 'always';
}

export interface KubeHoldSpec extends KubeRequestMatch {
  /** `request`: before the server acts; `reply`: after it acted, before the client hears. @default 'request' */
  readonly at?: 'request' | 'reply';
}

export interface Held<T> {
  readonly reached: Promise<T>;
  release(): void;
}

export type ChangeListener = (namespace: string, name: string, deployment: FakeDeployment) => void | Promise<void>;

export interface FakeKubernetesOptions {
  /** Serve HTTPS with a certificate signed by the test CA (`caPem`). EksWorkloads refuses plain HTTP. @default true */
  readonly tls?: boolean;
  /** The bearer token every request must carry; without it (or with another) the answer is 401. @default - no check */
  readonly token?: string;
  /** How long a new generation takes to become available. 0 applies it before the response. @default 0 */
  readonly rolloutDelayMs?: number;
}

export interface FakeKubernetes {
  /** `https://127.0.0.1:<port>` (or `http://…` without TLS). */
  readonly url: string;
  /** The CA that signed the server certificate (PEM); undefined without TLS. */
  readonly caPem: string | undefined;
  /** Every request, oldest first. */
  readonly requests: FakeRequest[];
  /** Errors thrown by `onChange` listeners (a harness can assert it stays empty). */
  readonly listenerErrors: unknown[];
  /** Connections clients opened to the server (TLS handshakes, when it serves TLS). */
  readonly connections: number;
  /** Creates (or replaces) a Deployment whose rollout is already complete. */
  addDeployment(namespace: string, name: string, init: { containers: FakeContainer[]; replicas: number }): FakeDeployment;
  /** A copy of the stored Deployment. @throws when it does not exist */
  deployment(namespace: string, name: string): FakeDeployment;
  /** Overwrites status fields, as a controller would mid-rollout. */
  setStatus(namespace: string, name: string, status: Partial<FakeDeploymentStatus>): void;
  /** The next generation reports Progressing=False / ProgressDeadlineExceeded and never becomes available. */
  failNextRollout(namespace: string, name: string): void;
  /** Every request to the namespace gets 403 Forbidden (RBAC denies it). */
  forbid(namespace: string): void;
  /**
   * Forgets every Deployment, request, listener and armed failure, and sets a new rollout delay:
   * one server can then serve many runs, as one cluster serves many rollouts (and a Lambda
   * container keeps the cluster endpoint it described).
   */
  reset(options?: { rolloutDelayMs?: number }): void;
  /** Runs pending controller work now instead of waiting for `rolloutDelayMs`. */
  settleRollouts(): Promise<void>;
  /** The next matching request(s) fail the way `kind` says. @returns how to stop it and how often it hit */
  injectFault(spec: KubeFaultSpec): { readonly hits: number; remove(): void };
  /** Holds the next matching request mid-flight until `release()`. */
  hold(spec: KubeHoldSpec): Held<FakeRequest>;
  /**
   * The controller leaves the Deployment's new generations unrolled (no timer, no delay 0) until
   * `release()`, which completes them at once. `reached` resolves when a new generation is waiting.
   */
  holdRollout(namespace: string, name: string): { readonly reached: Promise<void>; release(): Promise<void> };
  /** Called after every change of a Deployment (spec or status). @returns a function that unsubscribes */
  onChange(listener: ChangeListener): () => void;
  /**
   * Stores any other namespaced object (an Ingress, an Istio VirtualService) at its API path, e.g.
   * `/apis/networking.k8s.io/v1/namespaces/shop/ingresses/web`. The fake then serves GET, PATCH
   * (merge, JSON and — treated as merge — strategic merge patches) and PUT, which answers 409
   * Conflict when the body's `metadata.resourceVersion` is not the stored one, as the API server does.
   */
  putObject(path: string, object: Record<string, unknown>): FakeObject;
  /** A copy of a stored object. @throws when it does not exist */
  object(path: string): FakeObject;
  /**
   * Runs `check` on the object a PUT or PATCH would store, before it is stored, as a validating
   * admission webhook does. A returned message refuses the write with 400, as the API server
   * answers a webhook's denial that carries no code (apiserver webhook errors: ToStatusErr).
   * @returns a function that removes the check
   */
  onAdmission(check: AdmissionCheck): () => void;
  /** Called after every change of a stored object, with its path. @returns a function that unsubscribes */
  onObjectChange(listener: (path: string, object: FakeObject) => void | Promise<void>): () => void;
  /** What EKS DescribeCluster would return for this endpoint (`cluster` field), CA base64-encoded. */
  eksCluster(name: string): { name: string; endpoint: string; status: 'ACTIVE'; certificateAuthority: { data?: string } };
  close(): Promise<void>;
}

/** A validating admission check: the denial message, or undefined to admit. */
export type AdmissionCheck = (path: string, object: FakeObject) => string | undefined;

/** An object of the generic store: any kind, with the metadata the API server maintains. */
export type FakeObject = Record<string, unknown> & {
  metadata: { name: string; namespace: string; resourceVersion: string; generation: number; annotations?: Record<string, string> };
};

/** `/apis/<group>/<version>/namespaces/<ns>/<resource>/<name>` or the core group's `/api/v1/…`. */
const OBJECT_PATH = /^\/(?:apis\/[^/]+|api)\/[^/]+\/namespaces\/([^/]+)\/([^/]+)\/([^/]+)$/;

const DEPLOYMENT_PATH = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/deployments\/([^/]+)(\/scale)?$/;
/** Lists that a strategic merge patch merges element by element, keyed by `name`. */
const MERGE_BY_NAME = new Set(['containers', 'initContainers', 'ephemeralContainers', 'env', 'volumes', 'volumeMounts']);

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

interface PendingRollout {
  timer?: NodeJS.Timeout;
  fail: boolean;
}

interface RolloutHold {
  readonly reach: () => void;
}

export async function startFakeKubernetes(options: FakeKubernetesOptions = {}): Promise<FakeKubernetes> {
  const tls = options.tls ?? true;
  let rolloutDelayMs = options.rolloutDelayMs ?? 0;
  const ca = tls ? await testCa() : undefined;

  const items = new Map<string, FakeDeployment>();
  const armedFailures = new Set<string>();
  const forbidden = new Set<string>();
  const pending = new Map<string, PendingRollout>();
  const listeners = new Set<ChangeListener>();
  const requests: FakeRequest[] = [];
  const listenerErrors: unknown[] = [];
  const faults: Array<ActiveFault<KubeFaultSpec>> = [];
  const holds: Array<ActiveHold<KubeHoldSpec, FakeRequest>> = [];
  const rolloutHolds = new Map<string, RolloutHold>();
  let resourceVersion = 1000;
  const objects = new Map<string, FakeObject>();
  const objectListeners = new Set<(path: string, object: FakeObject) => void | Promise<void>>();
  const admissionChecks = new Set<AdmissionCheck>();

  async function commitObject(path: string, next: FakeObject, current: FakeObject | undefined): Promise<FakeObject> {
    if (current && deepEqual(next, current)) return current;
    for (const check of admissionChecks) {
      const denial = check(path, copyData(next));
      if (denial !== undefined) throw new HttpError(400, 'BadRequest', denial);
    }
    const specChanged = !current || !deepEqual({ ...next, metadata: undefined, status: undefined }, { ...current, metadata: undefined, status: undefined });
    next.metadata = {
      ...next.metadata,
      name: current?.metadata.name ?? next.metadata.name,
      namespace: current?.metadata.namespace ?? next.metadata.namespace,
      generation: (current?.metadata.generation ?? 0) + (specChanged ? 1 : 0),
      resourceVersion: String(++resourceVersion),
    };
    objects.set(path, next);
    for (const listener of objectListeners) {
      try {
        await listener(path, copyData(next));
      } catch (error) {
        listenerErrors.push(error);
      }
    }
    return next;
  }

  async function routeObject(method: string, path: string, contentType: string | undefined, body: unknown): Promise<unknown> {
    const match = OBJECT_PATH.exec(path);
    const namespace = decodeURIComponent(match![1]);
    const resource = decodeURIComponent(match![2]);
    const name = decodeURIComponent(match![3]);
    if (forbidden.has(namespace)) {
      const verb = method === 'GET' ? 'get' : method === 'PUT' ? 'update' : 'patch';
      throw new HttpError(
        403,
        'Forbidden',
        `${resource} "${name}" is forbidden: User "arn:aws:sts::123456789012:assumed-role/serinus/fn" cannot ${verb} resource "${resource}" in the namespace "${namespace}"`,
      );
    }
    const current = objects.get(path);
    if (!current) throw new HttpError(404, 'NotFound', `${resource} "${name}" not found`);
    if (method === 'GET') return copyData(current);
    if (method === 'PATCH') {
      const type = contentType === 'application/strategic-merge-patch+json' ? 'application/merge-patch+json' : contentType;
      const patched = applyPatch(copyData(current), type, body) as FakeObject;
      return copyData(await commitObject(path, patched, current));
    }
    if (method === 'PUT') {
      if (!isObject(body) || !isObject(body.metadata)) throw new HttpError(400, 'BadRequest', 'the body must be an object with metadata');
      const version = body.metadata.resourceVersion;
      if (version !== undefined && version !== current.metadata.resourceVersion) {
        throw new HttpError(
          409,
          'Conflict',
          `Operation cannot be fulfilled on ${resource} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        );
      }
      return copyData(await commitObject(path, copyData(body) as FakeObject, current));
    }
    throw new HttpError(405, 'MethodNotAllowed', `${method} is not supported by the fake`);
  }

  const matches = (spec: KubeRequestMatch, method: string, path: string, body: unknown, origin?: CallOrigin): boolean => {
    const bare = path.split('?')[0];
    if (!originMatches(spec, origin)) return false;
    if (spec.method !== undefined && spec.method.toUpperCase() !== method) return false;
    if (typeof spec.path === 'string' && spec.path !== bare) return false;
    if (spec.path instanceof RegExp && !spec.path.test(bare)) return false;
    return spec.match?.(body) ?? true;
  };

  const key = (namespace: string, name: string): string => `${namespace}/${name}`;

  async function emit(deployment: FakeDeployment): Promise<void> {
    const { namespace, name } = deployment.metadata;
    for (const listener of [...listeners]) {
      try {
        await listener(namespace, name, copyData(deployment));
      } catch (error) {
        listenerErrors.push(error);
      }
    }
  }

  function stored(namespace: string, name: string): FakeDeployment {
    const deployment = items.get(key(namespace, name));
    if (!deployment) {
      throw new HttpError(404, 'NotFound', `deployments.apps "${name}" not found`);
    }
    return deployment;
  }

  /** The controller's view once a generation is rolled out (or has hit its deadline). */
  async function reconcile(id: string): Promise<void> {
    const rollout = pending.get(id);
    const deployment = items.get(id);
    pending.delete(id);
    if (!rollout || !deployment) return;
    clearTimeout(rollout.timer);
    const desired = deployment.spec.replicas;
    const previous = deployment.status;
    deployment.status = rollout.fail
      ? {
          observedGeneration: deployment.metadata.generation,
          replicas: (previous.availableReplicas ?? 0) + desired,
          updatedReplicas: desired,
          readyReplicas: previous.availableReplicas ?? 0,
          availableReplicas: previous.availableReplicas ?? 0,
          unavailableReplicas: desired,
          conditions: [
            { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' },
            {
              type: 'Progressing',
              status: 'False',
              reason: 'ProgressDeadlineExceeded',
              message: `ReplicaSet "${deployment.metadata.name}-new" has timed out progressing.`,
            },
          ],
        }
      : completeStatus(deployment);
    deployment.metadata.resourceVersion = String(++resourceVersion);
    await emit(deployment);
  }

  function scheduleRollout(id: string): void {
    const previous = pending.get(id);
    clearTimeout(previous?.timer);
    const fail = (previous?.fail ?? false) || armedFailures.delete(id);
    const rollout: PendingRollout = { fail };
    pending.set(id, rollout);
    const held = rolloutHolds.get(id);
    if (held) {
      held.reach();
      return;
    }
    if (rolloutDelayMs > 0) {
      rollout.timer = setTimeout(() => void reconcile(id), rolloutDelayMs);
      rollout.timer.unref();
    }
  }

  /** Stores a patched object the way the API server does: spec changes bump the generation. */
  async function commit(current: FakeDeployment, patched: unknown): Promise<FakeDeployment> {
    const next = validateDeployment(patched, current);
    if (deepEqual(next, current)) return current;
    const specChanged = !deepEqual(next.spec, current.spec);
    if (specChanged) next.metadata.generation = current.metadata.generation + 1;
    next.metadata.resourceVersion = String(++resourceVersion);
    const id = key(current.metadata.namespace, current.metadata.name);
    items.set(id, next);
    await emit(next);
    if (specChanged) {
      scheduleRollout(id);
      if (rolloutDelayMs === 0 && !rolloutHolds.has(id)) await reconcile(id);
    }
    return next;
  }

  async function route(method: string, path: string, contentType: string | undefined, body: unknown): Promise<unknown> {
    const bare = path.split('?')[0];
    if (!DEPLOYMENT_PATH.test(bare) && OBJECT_PATH.test(bare)) return routeObject(method, bare, contentType, body);
    const match = DEPLOYMENT_PATH.exec(bare);
    if (!match) throw new HttpError(404, 'NotFound', `the server could not find the requested resource (${method} ${path})`);
    const namespace = decodeURIComponent(match[1]);
    const name = decodeURIComponent(match[2]);
    const scale = match[3] !== undefined;
    if (forbidden.has(namespace)) {
      const verb = method === 'GET' ? 'get' : 'patch';
      throw new HttpError(
        403,
        'Forbidden',
        `deployments.apps${scale ? '/scale' : ''} "${name}" is forbidden: User "arn:aws:sts::123456789012:assumed-role/serinus/fn" ` +
          `cannot ${verb} resource "deployments${scale ? '/scale' : ''}" in API group "apps" in the namespace "${namespace}"`,
      );
    }
    const current = stored(namespace, name);
    if (method === 'GET') return scale ? toScale(current) : copyData(current);
    if (method !== 'PATCH') throw new HttpError(405, 'MethodNotAllowed', `${method} is not supported by the fake`);

    if (scale) {
      const patchedScale = applyPatch(toScale(current), contentType, body) as { spec?: { replicas?: unknown } };
      const next = copyData(current);
      next.spec.replicas = patchedScale.spec?.replicas as number;
      return toScale(await commit(current, next));
    }
    return copyData(await commit(current, applyPatch(copyData(current), contentType, body)));
  }

  async function handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const method = request.method ?? 'GET';
    const path = request.url ?? '/';
    const contentType = request.headers['content-type']?.split(';')[0].trim();
    const origin = originFromHeader(request.headers[ORIGIN_HEADER]);
    const tag = origin ? { handler: origin.handler, ...(origin.state !== undefined && { state: origin.state }) } : {};
    const raw = await readBody(request);
    let body: unknown;
    let status = 200;
    let answer: unknown;
    try {
      if (raw.length > 0) {
        try {
          body = JSON.parse(raw);
        } catch {
          body = raw;
          throw new HttpError(400, 'BadRequest', 'the request body is not JSON');
        }
      }
      if (options.token !== undefined && request.headers.authorization !== `Bearer ${options.token}`) {
        throw new HttpError(401, 'Unauthorized', 'Unauthorized');
      }
      const fault = faults.find((f) => !f.removed && matches(f.spec, method, path, body, origin));
      if (fault) {
        fault.hits += 1;
        const times = fault.spec.times ?? 1;
        if (times !== 'always' && fault.hits >= times) fault.removed = true;
      }
      const entry = (at: 'request' | 'reply'): FakeRequest => ({ method, path, contentType, body, status: at === 'request' ? 0 : status, ...tag });
      const before = holds.find((h) => !h.taken && (h.spec.at ?? 'request') === 'request' && matches(h.spec, method, path, body, origin));
      if (before) {
        before.taken = true;
        before.reach(entry('request'));
        await before.released;
      }
      switch (fault?.spec.kind) {
        case 'throttled':
          throw new HttpError(429, 'TooManyRequests', 'Too many requests, please try again later.');
        case 'serverError':
          throw new HttpError(503, 'ServiceUnavailable', 'the server is currently unable to handle the request');
        case 'accessDenied':
          throw new HttpError(403, 'Forbidden', `${method} ${path} is forbidden: the fault injected by the test`);
        case 'timeout':
          requests.push({ method, path, contentType, body, status: 0, ...tag });
          request.socket.destroy();
          return;
      }
      answer = await route(method, path, contentType, body);
      const after = holds.find((h) => !h.taken && h.spec.at === 'reply' && matches(h.spec, method, path, body, origin));
      if (after) {
        after.taken = true;
        after.reach(entry('reply'));
        await after.released;
      }
      if (fault?.spec.kind === 'lostReply') {
        requests.push({ method, path, contentType, body, status: 0, ...tag });
        request.socket.destroy();
        return;
      }
    } catch (error) {
      const failure = error instanceof HttpError ? error : new HttpError(500, 'InternalError', String(error));
      status = failure.status;
      answer = {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: failure.message,
        reason: failure.reason,
        code: failure.status,
      };
    }
    requests.push({ method, path, contentType, body, status, ...tag });
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(answer));
  }

  const listener = (request: http.IncomingMessage, response: http.ServerResponse): void => void handle(request, response);
  const server = ca ? https.createServer({ cert: ca.certPem, key: ca.keyPem }, listener) : http.createServer(listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  let connections = 0;
  server.on(ca ? 'secureConnection' : 'connection', () => connections++);
  const { port } = server.address() as AddressInfo;
  const url = `${ca ? 'https' : 'http'}://127.0.0.1:${port}`;

  return {
    url,
    caPem: ca?.caPem,
    requests,
    listenerErrors,
    get connections() {
      return connections;
    },
    addDeployment(namespace, name, init) {
      const labels = { app: name };
      const deployment: FakeDeployment = {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: {
          name,
          namespace,
          uid: randomUUID(),
          generation: 1,
          resourceVersion: String(++resourceVersion),
          creationTimestamp: new Date().toISOString(),
        },
        spec: {
          replicas: init.replicas,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: { containers: init.containers.map((container) => ({ ...container })) },
          },
          progressDeadlineSeconds: 600,
        },
        status: {},
      };
      deployment.status = completeStatus(deployment);
      items.set(key(namespace, name), deployment);
      return copyData(deployment);
    },
    deployment(namespace, name) {
      const deployment = items.get(key(namespace, name));
      if (!deployment) throw new Error(`fake Kubernetes has no deployment ${namespace}/${name}`);
      return copyData(deployment);
    },
    setStatus(namespace, name, status) {
      const deployment = items.get(key(namespace, name));
      if (!deployment) throw new Error(`fake Kubernetes has no deployment ${namespace}/${name}`);
      deployment.status = { ...deployment.status, ...copyData(status) };
      deployment.metadata.resourceVersion = String(++resourceVersion);
      void emit(deployment);
    },
    failNextRollout(namespace, name) {
      armedFailures.add(key(namespace, name));
    },
    forbid(namespace) {
      forbidden.add(namespace);
    },
    async settleRollouts() {
      for (const id of [...pending.keys()]) await reconcile(id);
    },
    injectFault(spec) {
      return registerFault(faults, spec);
    },
    hold(spec) {
      return registerHold(holds, spec);
    },
    holdRollout(namespace, name) {
      const id = key(namespace, name);
      let reach!: () => void;
      const reached = new Promise<void>((resolve) => (reach = resolve));
      rolloutHolds.set(id, { reach });
      if (pending.has(id)) reach();
      return {
        reached,
        release: async () => {
          rolloutHolds.delete(id);
          if (pending.has(id)) await reconcile(id);
        },
      };
    },
    onChange(changeListener) {
      listeners.add(changeListener);
      return () => listeners.delete(changeListener);
    },
    putObject(path, object) {
      const match = OBJECT_PATH.exec(path);
      if (!match) throw new Error(`fake Kubernetes: ${path} is not a namespaced object path`);
      const metadata = (isObject(object.metadata) ? object.metadata : {}) as Partial<FakeObject['metadata']>;
      const stored = copyData({
        ...object,
        metadata: {
          ...metadata,
          namespace: decodeURIComponent(match[1]),
          name: decodeURIComponent(match[3]),
          generation: 1,
          resourceVersion: String(++resourceVersion),
        },
      }) as FakeObject;
      objects.set(path, stored);
      return copyData(stored);
    },
    object(path) {
      const object = objects.get(path);
      if (!object) throw new Error(`fake Kubernetes has no object at ${path}`);
      return copyData(object);
    },
    onAdmission(check) {
      admissionChecks.add(check);
      return () => admissionChecks.delete(check);
    },
    onObjectChange(listener) {
      objectListeners.add(listener);
      return () => objectListeners.delete(listener);
    },
    eksCluster(name) {
      return {
        name,
        endpoint: url,
        status: 'ACTIVE',
        certificateAuthority: { data: ca ? Buffer.from(ca.caPem).toString('base64') : undefined },
      };
    },
    reset(next = {}) {
      for (const rollout of pending.values()) clearTimeout(rollout.timer);
      pending.clear();
      items.clear();
      objects.clear();
      objectListeners.clear();
      admissionChecks.clear();
      armedFailures.clear();
      forbidden.clear();
      listeners.clear();
      requests.length = 0;
      listenerErrors.length = 0;
      faults.length = 0;
      for (const hold of holds.splice(0)) hold.taken = true;
      rolloutHolds.clear();
      rolloutDelayMs = next.rolloutDelayMs ?? rolloutDelayMs;
    },
    async close() {
      for (const rollout of pending.values()) clearTimeout(rollout.timer);
      pending.clear();
      listeners.clear();
      // Clients keep connections alive; without this, close() waits for their idle timeout.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function completeStatus(deployment: FakeDeployment): FakeDeploymentStatus {
  const replicas = deployment.spec.replicas;
  return {
    observedGeneration: deployment.metadata.generation,
    replicas,
    updatedReplicas: replicas,
    readyReplicas: replicas,
    availableReplicas: replicas,
    conditions: [
      { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' },
      {
        type: 'Progressing',
        status: 'True',
        reason: 'NewReplicaSetAvailable',
        message: `ReplicaSet "${deployment.metadata.name}" has successfully progressed.`,
      },
    ],
  };
}

function toScale(deployment: FakeDeployment): unknown {
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata: {
      name: deployment.metadata.name,
      namespace: deployment.metadata.namespace,
      uid: deployment.metadata.uid,
      resourceVersion: deployment.metadata.resourceVersion,
    },
    spec: { replicas: deployment.spec.replicas },
    status: {
      replicas: deployment.status.replicas ?? 0,
      selector: Object.entries(deployment.spec.selector.matchLabels)
        .map(([label, value]) => `${label}=${value}`)
        .join(','),
    },
  };
}

/**
 * Keeps what the API server owns (identity, generation, status) and rejects what it would
 * reject (422): a Deployment without containers, a container without a name or image, bad replicas.
 */
function validateDeployment(patched: unknown, current: FakeDeployment): FakeDeployment {
  const next = copyData(patched) as FakeDeployment;
  if (!isObject(next) || !isObject(next.spec) || !isObject(next.spec.template) || !isObject(next.spec.template.spec)) {
    throw new HttpError(422, 'Invalid', 'Deployment.apps is invalid: spec.template.spec: Required value');
  }
  const { replicas } = next.spec;
  if (!Number.isInteger(replicas) || replicas < 0) {
    throw new HttpError(422, 'Invalid', `Deployment.apps "${current.metadata.name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas)}`);
  }
  const containers: unknown = next.spec.template.spec.containers;
  if (!Array.isArray(containers) || containers.length === 0) {
    throw new HttpError(422, 'Invalid', `Deployment.apps "${current.metadata.name}" is invalid: spec.template.spec.containers: Required value`);
  }
  for (const [index, container] of containers.entries()) {
    if (!isObject(container) || typeof container.name !== 'string' || typeof container.image !== 'string' || container.image === '') {
      throw new HttpError(
        422,
        'Invalid',
        `Deployment.apps "${current.metadata.name}" is invalid: spec.template.spec.containers[${index}]: name and image are required`,
      );
    }
  }
  const labels = isObject(next.metadata) ? next.metadata.labels : undefined;
  const annotations = isObject(next.metadata) ? next.metadata.annotations : undefined;
  next.apiVersion = 'apps/v1';
  next.kind = 'Deployment';
  next.metadata = { ...copyData(current.metadata), labels, annotations };
  if (labels === undefined) delete next.metadata.labels;
  if (annotations === undefined) delete next.metadata.annotations;
  next.status = copyData(current.status);
  return next;
}

function applyPatch(target: unknown, contentType: string | undefined, patch: unknown): unknown {
  switch (contentType) {
    case 'application/merge-patch+json':
      return mergePatch(target, patch);
    case 'application/strategic-merge-patch+json':
      return strategicMergePatch(target, patch);
    case 'application/json-patch+json':
      return jsonPatch(target, patch);
    default:
      throw new HttpError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (got ${contentType ?? 'none'})`);
  }
}

/** RFC 7386: objects merge recursively, `null` deletes, anything else replaces. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return copyData(patch);
  const result: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [field, value] of Object.entries(patch)) {
    if (value === null) delete result[field];
    else result[field] = mergePatch(result[field], value);
  }
  return result;
}

/** Merge patch, except that lists of named things (containers, env, …) merge element by `name`. */
function strategicMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return copyData(patch);
  const result: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [field, value] of Object.entries(patch)) {
    if (field.startsWith('$')) continue; // directives such as $setElementOrder/containers: order is kept as is
    if (value === null) delete result[field];
    else if (MERGE_BY_NAME.has(field) && Array.isArray(value)) result[field] = mergeNamedList(result[field], value);
    else result[field] = strategicMergePatch(result[field], value);
  }
  return result;
}

function mergeNamedList(target: unknown, patch: unknown[]): unknown[] {
  const result = Array.isArray(target) ? [...target] : [];
  for (const element of patch) {
    if (!isObject(element) || typeof element.name !== 'string') {
      throw new HttpError(400, 'BadRequest', 'strategic merge patch: list elements need a "name" merge key');
    }
    const index = result.findIndex((existing) => isObject(existing) && existing.name === element.name);
    if (element.$patch === 'delete') {
      if (index >= 0) result.splice(index, 1);
    } else if (index >= 0) {
      result[index] = strategicMergePatch(result[index], element);
    } else {
      result.push(strategicMergePatch({}, element));
    }
  }
  return result;
}

/** RFC 6902 with the operations an adapter plausibly sends: add, remove, replace, test. */
function jsonPatch(target: unknown, patch: unknown): unknown {
  if (!Array.isArray(patch)) throw new HttpError(400, 'BadRequest', 'a JSON patch is an array of operations');
  let document = copyData(target);
  for (const operation of patch) {
    if (!isObject(operation) || typeof operation.op !== 'string' || typeof operation.path !== 'string') {
      throw new HttpError(400, 'BadRequest', 'a JSON patch operation needs "op" and "path"');
    }
    const tokens = operation.path
      .split('/')
      .slice(1)
      .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
    if (tokens.length === 0) {
      if (operation.op !== 'replace' && operation.op !== 'add') throw new HttpError(422, 'Invalid', `cannot ${operation.op} the whole document`);
      document = copyData(operation.value);
      continue;
    }
    const parent = resolvePointer(document, tokens.slice(0, -1), operation.path);
    const last = tokens[tokens.length - 1];
    const exists = Array.isArray(parent) ? last !== '-' && Number(last) < parent.length : Object.hasOwn(parent, last);
    switch (operation.op) {
      case 'test':
        if (!exists || !deepEqual(readChild(parent, last), operation.value)) {
          throw new HttpError(422, 'Invalid', `the test operation at ${operation.path} failed`);
        }
        break;
      case 'replace':
      case 'remove':
        if (!exists) throw new HttpError(422, 'Invalid', `${operation.op}: no value at ${operation.path}`);
        if (operation.op === 'replace') writeChild(parent, last, copyData(operation.value), false);
        else if (Array.isArray(parent)) parent.splice(Number(last), 1);
        else delete parent[last];
        break;
      case 'add':
        writeChild(parent, last, copyData(operation.value), true);
        break;
      default:
        throw new HttpError(422, 'Invalid', `the fake does not support the JSON patch operation "${operation.op}"`);
    }
  }
  return document;
}

function resolvePointer(document: unknown, tokens: string[], path: string): Record<string, unknown> | unknown[] {
  let node: unknown = document;
  for (const token of tokens) {
    node = Array.isArray(node) || isObject(node) ? readChild(node, token) : undefined;
  }
  if (!Array.isArray(node) && !isObject(node)) throw new HttpError(422, 'Invalid', `no parent object at ${path}`);
  return node;
}

function readChild(parent: Record<string, unknown> | unknown[], token: string): unknown {
  return Array.isArray(parent) ? parent[Number(token)] : parent[token];
}

function writeChild(parent: Record<string, unknown> | unknown[], token: string, value: unknown, insert: boolean): void {
  if (!Array.isArray(parent)) {
    parent[token] = value;
  } else if (token === '-') {
    parent.push(value);
  } else if (insert) {
    parent.splice(Number(token), 0, value);
  } else {
    parent[Number(token)] = value;
  }
}

function readBody(request: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (isObject(value)) {
    return Object.fromEntries(
      Object.keys(value)
        .filter((field) => value[field] !== undefined)
        .sort()
        .map((field) => [field, canonical(value[field])]),
    );
  }
  return value;
}

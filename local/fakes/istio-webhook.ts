/**
 * Istio's validating webhook (`validation.istio.io`, served by istiod) for VirtualServices in the
 * fake Kubernetes API: the checks of Istio's pkg/config/validation that a weight router can trip.
 * - every http route needs `route` (or a redirect / delegate): "HTTP route or redirect is required";
 * - each weight is 0–100: "percentage %v is not in range 0..100";
 * - with more than one destination the weights add up to 100: "total destination weight %v != 100";
 * - header names in a match are letters, digits, "-" and "_": "header name %s is not a valid header name".
 * The API server answers a denial with 400 and `admission webhook "validation.istio.io" denied the
 * request: configuration is invalid: …`.
 */
import type { AdmissionCheck, FakeKubernetes } from '../fake-kubernetes';

const VIRTUAL_SERVICE_PATH = /^\/apis\/networking\.istio\.io\/[^/]+\/namespaces\/[^/]+\/virtualservices\/[^/]+$/;
const HEADER_NAME = /^[-_A-Za-z0-9]+$/;

/** Installs the webhook. @returns a function that removes it */
export function installIstioWebhook(fake: FakeKubernetes): () => void {
  return fake.onAdmission(istioWebhook);
}

export const istioWebhook: AdmissionCheck = (path, object) => {
  if (!VIRTUAL_SERVICE_PATH.test(path)) return undefined;
  const errors = virtualServiceErrors(object.spec);
  if (errors.length === 0) return undefined;
  return `admission webhook "validation.istio.io" denied the request: configuration is invalid: ${errors.join('; ')}`;
};

function virtualServiceErrors(spec: unknown): string[] {
  const errors: string[] = [];
  const http = isObject(spec) && Array.isArray(spec.http) ? spec.http : [];
  for (const route of http) {
    if (!isObject(route)) continue;
    const destinations = Array.isArray(route.route) ? route.route : [];
    if (destinations.length === 0 && route.redirect === undefined && route.delegate === undefined) {
      errors.push('HTTP route or redirect is required');
    }
    let total = 0;
    for (const destination of destinations) {
      const weight = isObject(destination) && typeof destination.weight === 'number' ? destination.weight : 0;
      if (weight < 0 || weight > 100) errors.push(`percentage ${weight} is not in range 0..100`);
      total += weight;
    }
    if (destinations.length > 1 && total !== 100) errors.push(`total destination weight ${total} != 100`);
    for (const match of Array.isArray(route.match) ? route.match : []) {
      const headers = isObject(match) && isObject(match.headers) ? match.headers : {};
      for (const name of Object.keys(headers)) {
        if (!HEADER_NAME.test(name)) errors.push(`header name ${name} is not a valid header name`);
      }
    }
  }
  return errors;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

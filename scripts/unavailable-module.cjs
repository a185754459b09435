// Stands in, inside the Lambda bundles, for the optional transports of @kubernetes/client-node that
// serinus never uses (exec and port-forward WebSockets, `cp`'s tar streams, SOCKS and HTTP proxies,
// OIDC and cloud-provider auth, kubeconfig YAML files). Loading it is harmless; using it throws.
'use strict';
class Unavailable {
  constructor() {
    throw new Error('this @kubernetes/client-node feature is not bundled with serinus');
  }
}
module.exports = new Proxy(Unavailable, {
  get: (target, key) => (key === '__esModule' ? false : key === 'default' ? target : Unavailable),
});

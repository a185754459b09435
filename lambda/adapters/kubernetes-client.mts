/**
 * What serinus uses of the Kubernetes client, loaded on a handler's first call to a cluster
 * (`kubernetesClient()` in eks-connection.ts imports this module).
 *
 * - An ES module (`.mts`): `npm start` runs the handlers under tsx, which turns every CommonJS
 *   `require` of an ES module into a transform of each of its files (about a thousand for
 *   @kubernetes/client-node, on a first run). Imported from here, Node's own ES module loader loads it.
 * - Named re-exports: esbuild keeps all of a dynamically imported module, so the handlers import
 *   this small module dynamically and the client's own exports stay tree-shaken in the bundles.
 */
export { ApiException, AppsV1Api, CustomObjectsApi, KubeConfig, NetworkingV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';

/**
 * More adapter modules in one jest file, as adapters-1.test.ts runs them: the tester route mocks
 * ELBv2, a client that file's elbv2-traffic-router mocks for the whole file, and the ingress router
 * serves ELBv2 from the fake, which that mock would answer instead. The Kubernetes-backed routers
 * (Istio, ingress, replica ratio) share the EKS stub with eks-workloads (test/support/eks-mock.ts).
 */
describe('alb-tester-route.adapter', () => {
  require('./alb-tester-route.adapter');
});
describe('istio-traffic-router.adapter', () => {
  require('./istio-traffic-router.adapter');
});
describe('ingress-traffic-router.adapter', () => {
  require('./ingress-traffic-router.adapter');
});
describe('replica-ratio-router.adapter', () => {
  require('./replica-ratio-router.adapter');
});

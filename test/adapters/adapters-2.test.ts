/**
 * More adapter modules in one jest file, as adapters-1.test.ts runs them: the tester route mocks
 * ELBv2 and the Istio router EKS, clients that file's elbv2-traffic-router and eks-workloads mock.
 */
describe('alb-tester-route.adapter', () => {
  require('./alb-tester-route.adapter');
});
describe('istio-traffic-router.adapter', () => {
  require('./istio-traffic-router.adapter');
});

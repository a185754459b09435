/**
 * The fakes' own tests (test/fakes/*.fake.ts) in one jest file, sharing one module registry (the AWS
 * SDK clients load once). Each module runs in a describe of its own name, so its hooks apply to its
 * own tests only; one runs alone with `-t`: `npm run jest -- test/fakes -t '^elbv2.fake '`.
 */
describe('alb-controller.fake', () => {
  require('./alb-controller.fake');
});
describe('aws.fake', () => {
  require('./aws.fake');
});
describe('cloudwatch.fake', () => {
  require('./cloudwatch.fake');
});
describe('copy-data.fake', () => {
  require('./copy-data.fake');
});
describe('dynamodb.fake', () => {
  require('./dynamodb.fake');
});
describe('elbv2-rules.fake', () => {
  require('./elbv2-rules.fake');
});
describe('elbv2.fake', () => {
  require('./elbv2.fake');
});
describe('kept-state.fake', () => {
  require('./kept-state.fake');
});
describe('kubernetes.fake', () => {
  require('./kubernetes.fake');
});
describe('scheduler.fake', () => {
  require('./scheduler.fake');
});
describe('sfn.fake', () => {
  require('./sfn.fake');
});

import * as k8s from '@kubernetes/client-node';
import { StateMachine } from 'aws-local-stepfunctions';
test('toolchain', () => { expect(typeof new k8s.KubeConfig().makeApiClient).toBe('function'); expect(StateMachine).toBeDefined(); expect(process.version).toMatch(/^v2[4-9]/); });

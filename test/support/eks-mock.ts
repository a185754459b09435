/**
 * The EKSClient stub (aws-sdk-client-mock) of the adapter modules that talk to a cluster. A client
 * class can be stubbed only once at a time, and these modules share jest files
 * (test/adapters/adapters-*.test.ts), so they share this one; each resets it in its own hooks.
 */
import { EKSClient } from '@aws-sdk/client-eks';
import { mockClient } from 'aws-sdk-client-mock';

export const eksMock = mockClient(EKSClient);

import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Notifier } from '../ports';
import { clientConfig, withoutSdkLogging } from './client-config';

const defaultClient = withoutSdkLogging(new SNSClient({ ...clientConfig }));

/** SNS allows at most 100 characters of subject. */
const MAX_SUBJECT_LENGTH = 100;

export interface SnsNotifierOptions {
  /** @default - one client per Lambda container */
  readonly client?: SNSClient;
}

/** Publishes messages for people to an SNS topic (email, chat integrations). */
export class SnsNotifier implements Notifier {
  private readonly client: SNSClient;

  constructor(options: SnsNotifierOptions = {}) {
    this.client = options.client ?? defaultClient;
  }

  async notify(topicArn: string, subject: string, message: string): Promise<void> {
    await this.client.send(new PublishCommand({ TopicArn: topicArn, Subject: subject.slice(0, MAX_SUBJECT_LENGTH), Message: message }));
  }
}

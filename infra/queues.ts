import { Duration, type Stack } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { CHALLENGE_QUEUE } from '../lib/queue/challenge.js';

/** The queues between the schedules, the sync and the workers. */
export interface PipelineQueues {
  /** One message per challenge, sent by the sync and consumed by the worker's event source. */
  readonly challengeQueue: sqs.Queue;
  /** Challenges that failed every attempt, or were no challenge at all; an alarm watches it. */
  readonly challengeDlq: sqs.Queue;
  /** Failed asynchronous invocations of the scheduled Lambdas (sync, weights) and of their rules. */
  readonly scheduleDlq: sqs.Queue;
}

/**
 * The challenge queue with its DLQ (receive count and visibility from {@link CHALLENGE_QUEUE}, redrive
 * allowed), and the dead-letter queue of the schedules. TLS only, SQS-managed encryption. Created in
 * the stack's own scope, so the logical ids stay those of the deployed queues.
 */
export function addQueues(stack: Stack): PipelineQueues {
  const challengeDlq = new sqs.Queue(stack, 'ChallengeDlq', {
    retentionPeriod: Duration.seconds(CHALLENGE_QUEUE.dlqRetentionSeconds),
    enforceSSL: true,
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    redriveAllowPolicy: { redrivePermission: sqs.RedrivePermission.ALLOW_ALL },
  });
  const challengeQueue = new sqs.Queue(stack, 'ChallengeQueue', {
    visibilityTimeout: Duration.seconds(CHALLENGE_QUEUE.visibilityTimeoutSeconds),
    enforceSSL: true,
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    deadLetterQueue: { queue: challengeDlq, maxReceiveCount: CHALLENGE_QUEUE.maxReceiveCount },
  });
  const scheduleDlq = new sqs.Queue(stack, 'ScheduleInvokeDlq', {
    retentionPeriod: Duration.days(14),
    enforceSSL: true,
    encryption: sqs.QueueEncryption.SQS_MANAGED,
  });
  return { challengeQueue, challengeDlq, scheduleDlq };
}

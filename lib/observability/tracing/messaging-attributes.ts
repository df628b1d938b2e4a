/** The OpenTelemetry messaging semantic-convention attributes the job spans carry. */
export const MessagingAttributes = {
  SYSTEM: 'messaging.system',
  DESTINATION: 'messaging.destination.name',
  OPERATION_NAME: 'messaging.operation.name',
  OPERATION_TYPE: 'messaging.operation.type',
  MESSAGE_ID: 'messaging.message.id',
  BATCH_COUNT: 'messaging.batch.message_count',
  /** Not in the conventions: the job's name and which run of it this is (1 = first). */
  JOB_NAME: 'mindtrace_jobs.job.name',
  JOB_ATTEMPT: 'mindtrace_jobs.job.attempt',
  /** On a `progress` span event: the value the run reported (an object as JSON, cut at 1 KiB). */
  JOB_PROGRESS: 'mindtrace_jobs.job.progress',
  /** On a send span: the deduplicated publish enqueued nothing, another job holds its key. */
  DUPLICATE: 'mindtrace_jobs.publish.duplicate',
} as const;

/** `messaging.system` for a backend: its name without "Client" ("RedisClient" → "redis", "RabbitMQClient" → "rabbitmq"). */
export function messagingSystemOf(backendName: string): string {
  const name = backendName.replace(/Client$/, '').toLowerCase();
  return name.length > 0 ? name : 'mindtrace_jobs';
}

import { randomUUID } from 'node:crypto';
import type { Message, MessageProperties, Options } from 'amqplib';
import type { JobRecord } from '../../backend/job-record';
import type { DeadLetter, JobFailure } from '../../backend/job-state';
import { FAILURE_HEADER } from './rabbitmq.topology';

/** The name a poison message's failure carries in the dead-letter queue. */
export const MALFORMED_JOB = 'MalformedJobError';

/**
 * A message ready for a confirm channel: to the default exchange (routed by queue name) unless
 * `exchange` says otherwise (dead letters go to their dead-letter exchange), and `mandatory`, so that a
 * message no queue takes comes back (a deleted queue) instead of vanishing.
 */
export interface OutgoingMessage {
  /** Default '' (the default exchange). */
  exchange?: string;
  routingKey: string;
  content: Buffer;
  properties: Options.Publish & { mandatory: true };
}

/** A message read back from a queue: its job, or why it is not one. */
export type DecodedMessage = { record: JobRecord; problem?: undefined } | { record?: undefined; problem: string };

/** Properties of every job message without priority or headers: one shared object, not one per message. */
const JOB_PROPERTIES = Object.freeze({ persistent: true, mandatory: true, contentType: 'application/json' } as const);

/**
 * A job as a message: the body is the JobRecord as JSON (the wire format, readable from any language),
 * persistent, with the job priority as the message priority. Nothing of the body is repeated in the
 * properties (id, name, creation time): every byte is paid for in every frame, by client and broker.
 */
export function jobMessage(routingKey: string, job: JobRecord, headers?: Record<string, unknown>): OutgoingMessage {
  const content = Buffer.from(JSON.stringify(job));
  if (job.priority <= 0 && headers === undefined) return { routingKey, content, properties: JOB_PROPERTIES };
  return { routingKey, content, properties: { ...JOB_PROPERTIES, priority: job.priority > 0 ? job.priority : undefined, headers } };
}

/** A dead letter: the job (attempt as it ended) with its failure in a header. */
export function deadLetterMessage(routingKey: string, job: JobRecord, failure: JobFailure): OutgoingMessage {
  return jobMessage(routingKey, job, { [FAILURE_HEADER]: JSON.stringify(failure) });
}

/**
 * A message that is not a job, moved to the dead-letter queue as it came (body and properties kept), with
 * the reason in the failure header and a message id so that it can be named in `redrive(ids)`.
 */
export function poisonMessage(routingKey: string, original: Message, problem: string): OutgoingMessage {
  const failure: JobFailure = { name: MALFORMED_JOB, message: problem, attempt: 0, failedAt: new Date().toISOString() };
  const properties = original.properties as MessageProperties;
  // Only descriptive properties travel: an expiration would drop the dead letter, a foreign userId make the broker refuse it.
  const { contentType, contentEncoding, correlationId, timestamp, type, appId } = properties;
  return {
    routingKey,
    content: original.content,
    properties: {
      ...definedOnly({ contentType, contentEncoding, correlationId, timestamp, type, appId }),
      persistent: true,
      mandatory: true,
      messageId: typeof properties.messageId === 'string' && properties.messageId ? properties.messageId : randomUUID(),
      headers: { ...(properties.headers ?? {}), [FAILURE_HEADER]: JSON.stringify(failure) },
    },
  };
}

/** Parses a body into a JobRecord, or says precisely why it is not one. */
export function decodeJob(content: Buffer): DecodedMessage {
  let value: unknown;
  try {
    value = JSON.parse(content.toString('utf8'));
  } catch (err) {
    return { problem: `message body is not JSON (${(err as Error).message}): ${preview(content)}` };
  }
  const problem = shapeProblem(value);
  return problem ? { problem: `message body is not a job record: ${problem}` } : { record: value as JobRecord };
}

/** Reads a dead-letter-queue message back as a DeadLetter; a body that is no job becomes a stand-in record. */
export function decodeDeadLetter(message: Message): DeadLetter {
  const decoded = decodeJob(message.content);
  const failure = failureOf(message);
  const job: JobRecord = decoded.record ?? {
    id: String(message.properties.messageId ?? ''),
    name: '',
    schemaName: '',
    payload: { body: message.content.toString('utf8').slice(0, 1024) },
    createdAt: new Date(((message.properties.timestamp as number | undefined) ?? Date.now() / 1000) * 1000).toISOString(),
    priority: 0,
    attempt: 0,
  };
  return {
    job,
    error: failure ?? {
      name: 'DeadLettered',
      message: `dead-lettered by the broker (${brokerDeathReason(message)}), not by a consumer`,
      attempt: job.attempt,
      failedAt: new Date().toISOString(),
    },
  };
}

/** The id a dead-letter-queue message answers to in `redrive(ids)`. */
export function messageJobId(message: Message, decoded: DecodedMessage): string {
  return decoded.record?.id ?? String(message.properties.messageId ?? '');
}

function failureOf(message: Message): JobFailure | null {
  const raw = (message.properties.headers as Record<string, unknown> | undefined)?.[FAILURE_HEADER];
  if (raw === undefined) return null;
  try {
    return JSON.parse(Buffer.isBuffer(raw) ? raw.toString('utf8') : String(raw)) as JobFailure;
  } catch {
    return null;
  }
}

function brokerDeathReason(message: Message): string {
  const deaths = (message.properties.headers as Record<string, unknown> | undefined)?.['x-death'];
  const first = Array.isArray(deaths) ? (deaths[0] as { reason?: unknown } | undefined) : undefined;
  return first?.reason ? `reason: ${String(first.reason)}` : 'no reason recorded';
}

function shapeProblem(value: unknown): string | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'expected a JSON object';
  const v = value as Record<string, unknown>;
  for (const key of ['id', 'name', 'schemaName', 'createdAt'] as const) {
    if (typeof v[key] !== 'string') return `"${key}" must be a string`;
  }
  if ((v.id as string).length === 0) return '"id" must not be empty';
  if (v.payload === null || typeof v.payload !== 'object' || Array.isArray(v.payload)) return '"payload" must be an object';
  if (!Number.isInteger(v.priority)) return '"priority" must be a whole number';
  if (!(Number.isInteger(v.attempt) && (v.attempt as number) >= 0)) return '"attempt" must be a whole number >= 0';
  return null;
}

function preview(content: Buffer): string {
  const text = content.toString('utf8');
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

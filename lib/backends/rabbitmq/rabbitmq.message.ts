import { createHash } from 'node:crypto';
import type { Message, MessageProperties, Options } from 'amqplib';
import type { JobRecord } from '../../backend/job-record';
import type { DeadLetter, JobFailure } from '../../backend/job-state';
import { MalformedJobError } from '../../errors/malformed-job.error';
import { MAX_BODY_NESTING, exceedsNesting } from '../../backend/json-nesting';
import { isPlainObject, jobRecordShape, type CarriedField } from '../../backend/job-record-shape';
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

/** A message that is not a job: why, and its job id if one can be read. */
export interface UndecodableMessage {
  record?: undefined;
  problem: string;
  id?: string;
}

/** A message read back from a queue: its job, or why it is not one. */
export type DecodedMessage = { record: JobRecord; problem?: undefined } | UndecodableMessage;

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

/**
 * A dead letter: the job (attempt as it ended) with its failure in a header. If the record cannot be
 * serialised again, the body is forwarded as it was delivered (its attempt is then the one before the
 * run; the failure header has the attempt it ended on): dead-lettering never depends on re-encoding.
 */
export function deadLetterMessage(routingKey: string, job: JobRecord, failure: JobFailure, delivered: Buffer): OutgoingMessage {
  const headers = { [FAILURE_HEADER]: JSON.stringify(failure) };
  try {
    return jobMessage(routingKey, job, headers);
  } catch {
    return { routingKey, content: delivered, properties: { ...JOB_PROPERTIES, headers } };
  }
}

/** The failure a message that is not a job is dead-lettered with: MalformedJobError, naming the queue and the id. */
export function malformedFailure(queue: string, id: string, problem: string): JobFailure {
  return {
    name: MALFORMED_JOB,
    message: new MalformedJobError(queue, id, problem).message,
    attempt: 0,
    failedAt: new Date().toISOString(),
  };
}

/**
 * The id a message that is not a job goes by: the job id if the body has a readable one, else the AMQP
 * message id, else one derived from the bytes — stable, so a message seen twice is named the same.
 */
export function poisonId(message: Message, decoded: DecodedMessage): string {
  if (decoded.record) return decoded.record.id;
  if (decoded.id) return decoded.id;
  const messageId = message.properties.messageId as unknown;
  if (typeof messageId === 'string' && messageId.length > 0) return messageId;
  return `malformed-${createHash('sha256').update(message.content).digest('hex').slice(0, 16)}`;
}

/**
 * A message that is not a job, moved to the dead-letter queue as it came (body and properties kept), with
 * its failure in the failure header and its id (poisonId) as message id, so that `redrive(ids)` can name it.
 */
export function poisonMessage(routingKey: string, original: Message, id: string, failure: JobFailure): OutgoingMessage {
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
      messageId: id,
      headers: { ...(properties.headers ?? {}), [FAILURE_HEADER]: JSON.stringify(failure) },
    },
  };
}

/** Parses a body into a JobRecord, or says precisely why it is not one. */
export function decodeJob(content: Buffer): DecodedMessage {
  let value: unknown;
  try {
    // JSON.parse itself reads any depth without recursion; only the walks after it must not see too deep a body.
    value = JSON.parse(content.toString('utf8'));
  } catch (err) {
    return { problem: `its body is not JSON (${(err as Error).message}): ${preview(content)}` };
  }
  if (exceedsNesting(content))
    return { problem: `its body is nested deeper than ${MAX_BODY_NESTING} levels: ${preview(content)}`, id: readableId(value) };
  if (isJobRecord(value)) return { record: value };
  // The body is all a message has: its id, priority and attempt are checked with the rest.
  const { problem } = jobRecordShape(value, CARRIED_FIELDS);
  return problem === undefined ? { record: value as JobRecord } : { problem: `its body is ${problem}`, id: readableId(value) };
}

const CARRIED_FIELDS: readonly CarriedField[] = ['id', 'priority', 'attempt'];

/**
 * jobRecordShape's rules (with CARRIED_FIELDS) as one expression, for every delivery: that check builds
 * its rule list and arrays on every call. A body this refuses goes through jobRecordShape, which decides
 * and names what is wrong, so this may only be stricter.
 */
function isJobRecord(value: unknown): value is JobRecord {
  if (!isPlainObject(value)) return false;
  const { id, name, schemaName, createdAt, payload, priority, attempt } = value;
  return (
    typeof name === 'string' &&
    typeof schemaName === 'string' &&
    typeof createdAt === 'string' &&
    isPlainObject(payload) &&
    typeof id === 'string' &&
    id.length > 0 &&
    Number.isInteger(priority) &&
    Number.isInteger(attempt) &&
    (attempt as number) >= 0
  );
}

function readableId(value: unknown): string | undefined {
  const id = value !== null && typeof value === 'object' ? (value as { id?: unknown }).id : undefined;
  return typeof id === 'string' && id.length > 0 ? id : undefined;
}

/** What stands for a message that is not a job where a record is expected (dead letters, job states). */
export function standInRecord(message: Message, id: string): JobRecord {
  return {
    id,
    name: '',
    schemaName: '',
    payload: { body: message.content.toString('utf8', 0, Math.min(message.content.length, 4096)).slice(0, 1024) },
    createdAt: new Date(((message.properties.timestamp as number | undefined) ?? Date.now() / 1000) * 1000).toISOString(),
    priority: 0,
    attempt: 0,
  };
}

/**
 * Reads a dead-letter-queue message back as a DeadLetter; a body that is no job becomes a stand-in record.
 * One without the client's failure header was dead-lettered by the broker: a rejected message that is not
 * a job was a poison message the client could not move itself, so it still reads as MalformedJobError.
 */
export function decodeDeadLetter(message: Message, queue: string): DeadLetter {
  const decoded = decodeJob(message.content);
  const id = poisonId(message, decoded);
  const job = decoded.record ?? standInRecord(message, id);
  const failure = deadLetterFailure(message);
  if (failure) return { job, error: failure };
  if (decoded.problem !== undefined) return { job, error: malformedFailure(queue, id, decoded.problem) };
  return {
    job,
    error: {
      name: 'DeadLettered',
      message: `dead-lettered by the broker (${brokerDeathReason(message)}), not by a consumer`,
      attempt: job.attempt,
      failedAt: new Date().toISOString(),
    },
  };
}

/** The id a dead-letter-queue message answers to in `redrive(ids)`: its job's, or its poisonId. */
export function messageJobId(message: Message, decoded: DecodedMessage): string {
  return poisonId(message, decoded);
}

/** The failure a dead letter carries in its header; null if it has none (rejected into the dead letters) or it is unreadable. */
export function deadLetterFailure(message: Message): JobFailure | null {
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

function preview(content: Buffer): string {
  const text = content.toString('utf8');
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

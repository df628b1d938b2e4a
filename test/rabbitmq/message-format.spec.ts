import type { Message } from 'amqplib';
import type { JobRecord } from '../../lib/backend/job-record';
import type { JobFailure } from '../../lib/backend/job-state';
import { jobRecordShape } from '../../lib/backend/job-record-shape';
import { MAX_BODY_NESTING, exceedsNesting } from '../../lib/backend/json-nesting';
import { deadLetterMessage, decodeDeadLetter, decodeJob } from '../../lib/backends/rabbitmq/rabbitmq.message';

/** How the client reads and writes message bodies, without a broker: the parts that must never recurse without bound. */

function nested(depth: number, inner = '1'): string {
  return `${'['.repeat(depth)}${inner}${']'.repeat(depth)}`;
}

function delivered(content: Buffer | string, headers?: Record<string, unknown>): Message {
  return {
    content: Buffer.isBuffer(content) ? content : Buffer.from(content),
    fields: { deliveryTag: 1, redelivered: false, exchange: '', routingKey: 'q' },
    properties: { headers },
  } as unknown as Message;
}

const record: JobRecord = {
  id: 'job-1',
  name: 'q',
  schemaName: 'q',
  payload: { label: 'x' },
  createdAt: new Date(0).toISOString(),
  priority: 0,
  attempt: 0,
};
const failure: JobFailure = { name: 'JobValidationError', message: 'bad', attempt: 1, failedAt: new Date(0).toISOString() };

describe('exceedsNesting', () => {
  it('counts brackets outside strings only, escaped quotes included', () => {
    expect(exceedsNesting(Buffer.from(nested(MAX_BODY_NESTING)))).toBe(false);
    expect(exceedsNesting(Buffer.from(nested(MAX_BODY_NESTING + 1)))).toBe(true);
    const bracketsInAString = JSON.stringify({ text: `\\"${'['.repeat(5000)}` });
    expect(exceedsNesting(Buffer.from(bracketsInAString))).toBe(false);
    expect(exceedsNesting(Buffer.from(nested(10, JSON.stringify('é"[[[')) + ' '.repeat(3000)), 10)).toBe(false);
    expect(exceedsNesting(Buffer.from(nested(11) + ' '.repeat(3000)), 10)).toBe(true);
  });
});

describe('decodeJob', () => {
  it('names every field of the body that is wrong, in the words the Redis backend uses too', () => {
    const body = JSON.stringify({ ...record, name: 7, payload: 'x', attempt: -1 });
    expect(decodeJob(Buffer.from(body))).toEqual({
      problem:
        'its body is not a job record: "name" is 7, not a string; "payload" is a string, not an object; "attempt" is -1, not a whole number >= 0',
      id: 'job-1',
    });
    expect(decodeJob(Buffer.from('[1]')).problem).toBe('its body is not a job record: it is an array, not a JSON object');
    expect(decodeJob(Buffer.from(JSON.stringify(record)))).toEqual({ record });
  });

  it('refuses every body the shared job-record check refuses, one wrong field at a time', () => {
    // decodeJob checks the usual body in one expression and leaves the rest to jobRecordShape: it may never be laxer.
    const wrongValues: Record<string, unknown[]> = {
      id: ['', 7, null, undefined],
      name: [7, null, undefined, {}],
      schemaName: [false, null, undefined],
      createdAt: [0, null, undefined],
      payload: ['x', [], null, undefined, 3],
      priority: [1.5, '1', null, undefined, Number.NaN],
      attempt: [-1, 0.5, '0', null, undefined],
    };
    for (const [field, values] of Object.entries(wrongValues)) {
      for (const value of values) {
        const body = JSON.stringify({ ...record, [field]: value });
        const expected = jobRecordShape(JSON.parse(body), ['id', 'priority', 'attempt']).problem;
        expect([field, value, decodeJob(Buffer.from(body)).problem]).toEqual([field, value, `its body is ${expected}`]);
      }
    }
    expect(decodeJob(Buffer.from(JSON.stringify({ ...record, priority: 3, attempt: 2, extra: true })))).toEqual({
      record: { ...record, priority: 3, attempt: 2, extra: true },
    });
  });

  it('reads a body nested 100,000 levels deep as a problem naming the limit, with its id when readable', () => {
    const deep = `{"id":"deep","payload":${nested(100_000)}}`;
    expect(decodeJob(Buffer.from(deep))).toEqual({
      problem: expect.stringContaining(`nested deeper than ${MAX_BODY_NESTING} levels`),
      id: 'deep',
    });
  });
});

describe('deadLetterMessage', () => {
  it('forwards the delivered bytes when the record cannot be serialised again, the failure in its header', () => {
    const circular: JobRecord = { ...record, payload: {} };
    (circular.payload as Record<string, unknown>).self = circular.payload;
    const original = Buffer.from(JSON.stringify(record));
    const message = deadLetterMessage('q.dead', circular, failure, original);
    expect(message.content).toBe(original);
    expect(JSON.parse(String(message.properties.headers?.['x-mindtrace-failure']))).toEqual(failure);
  });

  it('serialises the record as it ended when it can', () => {
    const message = deadLetterMessage('q.dead', { ...record, attempt: 1 }, failure, Buffer.from('ignored'));
    expect(JSON.parse(message.content.toString())).toEqual({ ...record, attempt: 1 });
  });
});

describe('decodeDeadLetter', () => {
  it('reads a body that is no job, dead-lettered by the broker without a failure header, as MalformedJobError with a stable id', () => {
    const rejected = delivered('not json', { 'x-death': [{ reason: 'rejected' }] });
    const first = decodeDeadLetter(rejected, 'q');
    expect(first.error).toMatchObject({ name: 'MalformedJobError', message: expect.stringContaining('on queue "q"') });
    expect(first.job.id).toMatch(/^malformed-[0-9a-f]{16}$/);
    expect(decodeDeadLetter(rejected, 'q').job.id).toBe(first.job.id);
  });

  it('reads a job dead-lettered by the broker as DeadLettered, with the broker reason', () => {
    const letter = decodeDeadLetter(delivered(JSON.stringify(record), { 'x-death': [{ reason: 'maxlen' }] }), 'q');
    expect(letter.job).toEqual(record);
    expect(letter.error).toMatchObject({ name: 'DeadLettered', message: expect.stringContaining('reason: maxlen') });
  });
});

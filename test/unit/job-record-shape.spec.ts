import { jobRecordShape } from '../../lib/backend/job-record-shape';

/** The wire format's field checks, shared by the Redis and RabbitMQ backends: one set of rules, one wording. */
const record = {
  id: 'job-1',
  name: 'q',
  schemaName: 'q',
  payload: { label: 'x' },
  createdAt: new Date(0).toISOString(),
  priority: 0,
  attempt: 0,
};

describe('jobRecordShape', () => {
  it('finds nothing wrong with a job record, with or without the fields a backend reads from the body', () => {
    expect(jobRecordShape(record)).toEqual({ wrong: [] });
    expect(jobRecordShape(record, ['id', 'priority', 'attempt'])).toEqual({ wrong: [] });
    const { id: _id, priority: _priority, attempt: _attempt, ...bodyOnly } = record;
    expect(jobRecordShape(bodyOnly)).toEqual({ wrong: [] });
  });

  it.each([
    ['an array', [1, 2], 'an array'],
    ['null', null, 'null'],
    ['a string', 'job', 'a string'],
    ['a number', 7, '7'],
  ])('says a body that is %s is not a JSON object', (_what, body, kind) => {
    expect(jobRecordShape(body)).toEqual({ problem: `not a job record: it is ${kind}, not a JSON object`, wrong: [] });
  });

  it('names every wrong field, what it is and what it should be, in one message', () => {
    const shape = jobRecordShape({ ...record, name: 7, schemaName: undefined, payload: [1] });
    expect(shape.wrong).toEqual(['name', 'schemaName', 'payload']);
    expect(shape.problem).toBe(
      'not a job record: "name" is 7, not a string; "schemaName" is missing, not a string; "payload" is an array, not an object',
    );
  });

  it('checks id, priority and attempt only when the backend reads them from the body', () => {
    const odd = { ...record, id: '', priority: 1.5, attempt: -1 };
    expect(jobRecordShape(odd)).toEqual({ wrong: [] });
    expect(jobRecordShape(odd, ['id', 'priority', 'attempt'])).toEqual({
      problem:
        'not a job record: "id" is an empty string, not a non-empty string; "priority" is 1.5, not a whole number; "attempt" is -1, not a whole number >= 0',
      wrong: ['id', 'priority', 'attempt'],
    });
    expect(jobRecordShape({ ...record, payload: null, priority: '3' }, ['priority']).problem).toBe(
      'not a job record: "payload" is null, not an object; "priority" is a string, not a whole number',
    );
  });
});

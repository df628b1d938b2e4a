import {
  BackendClosedError,
  ConsumerStateError,
  InvalidOptionError,
  JobBatchValidationError,
  JobFailedError,
  JobNotFoundError,
  JobTimeoutError,
  JobValidationError,
  JobsError,
  LeaseLostError,
  QueueNotDeclaredError,
  QueueTypeMismatchError,
  SchemaNotFoundError,
  UnrecoverableError,
  UnsupportedCapabilityError,
  WaitTimeoutError,
} from '../../lib';

const cases: [string, () => JobsError, string[]][] = [
  ['QueueNotDeclaredError', () => new QueueNotDeclaredError('object_detection'), ['"object_detection"', 'register']],
  [
    'QueueTypeMismatchError',
    () => new QueueTypeMismatchError('object_detection', 'fifo', 'priority'),
    ['"object_detection"', 'fifo', 'priority'],
  ],
  ['SchemaNotFoundError', () => new SchemaNotFoundError('object_detection'), ['"object_detection"', 'register']],
  [
    'InvalidOptionError',
    () => new InvalidOptionError('MyConsumer("q")', 'concurrency', 'must be a positive integer'),
    ['MyConsumer("q")', '"concurrency"', 'must be a positive integer'],
  ],
  [
    'JobBatchValidationError',
    () =>
      new JobBatchValidationError('object_detection', [
        { index: 2, error: new Error('bad path') },
        { index: 5, error: new Error('bad size') },
      ]),
    ['"object_detection"', 'index 2', 'bad path', 'index 5', 'bad size'],
  ],
  ['JobTimeoutError', () => new JobTimeoutError('object_detection', 'job-1', 250), ['"object_detection"', 'job-1', '250 ms']],
  [
    'JobFailedError',
    () =>
      new JobFailedError('object_detection', 'job-1', {
        name: 'Error',
        message: 'disk full',
        attempt: 3,
        failedAt: '2024-01-01T00:00:00.000Z',
      }),
    ['"object_detection"', 'job-1', 'disk full', '3 attempt', 'deadLetters("object_detection")'],
  ],
  [
    'WaitTimeoutError',
    () => new WaitTimeoutError('object_detection', 'job-1', 1500, 'active'),
    ['"object_detection"', 'job-1', '1500 ms', 'active'],
  ],
  ['LeaseLostError', () => new LeaseLostError('object_detection', 'job-1'), ['"object_detection"', 'job-1']],
  ['JobNotFoundError', () => new JobNotFoundError('job-1'), ['job-1']],
  ['BackendClosedError', () => new BackendClosedError('LocalClient'), ['LocalClient']],
  [
    'JobValidationError',
    () =>
      new JobValidationError('object_detection', 'input', [
        { path: 'image_path', constraints: { isString: 'image_path must be a string' } },
      ]),
    ['"object_detection"', 'image_path', 'isString'],
  ],
  [
    'JobValidationError',
    () =>
      new JobValidationError('detection_v2', 'input', [
        { path: 'image_path', constraints: { isString: 'image_path must be a string' } },
      ]).onQueue('object_detection'),
    ['schema "detection_v2"', 'queue "object_detection"', 'image_path'],
  ],
  ['ConsumerStateError', () => new ConsumerStateError('not connected'), ['not connected']],
  ['UnrecoverableError', () => new UnrecoverableError('give up'), ['give up']],
  [
    'UnsupportedCapabilityError',
    () => new UnsupportedCapabilityError('RabbitMQClient', 'getJob', 'use RedisClient'),
    ['RabbitMQClient', 'getJob', 'use RedisClient'],
  ],
];

describe('typed errors', () => {
  it.each(cases)('%s is a JobsError and an Error, named after its class', (className, make) => {
    const error = make();
    expect(error).toBeInstanceOf(JobsError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(className);
    expect(error.constructor.name).toBe(className);
    expect(typeof error.stack).toBe('string');
  });

  it.each(cases)('%s says what it is about in its message', (_className, make, mentions) => {
    const { message } = make();
    for (const mention of mentions) expect(message).toContain(mention);
  });

  it('JobsError itself is named JobsError', () => {
    const error = new JobsError('boom');
    expect(error.name).toBe('JobsError');
    expect(error.message).toBe('boom');
  });

  it('a subclass defined by a user is named after that subclass', () => {
    class MyError extends JobsError {}
    expect(new MyError('x').name).toBe('MyError');
  });

  it('keeps the details as fields', () => {
    const option = new InvalidOptionError('where', 'attempts', 'must be positive');
    expect([option.where, option.option, option.problem]).toEqual(['where', 'attempts', 'must be positive']);

    const failures = [
      { index: 0, error: new Error('a') },
      { index: 3, error: new Error('b') },
    ];
    const batch = new JobBatchValidationError('q', failures);
    expect(batch.queue).toBe('q');
    expect(batch.failures.map((f) => f.index)).toEqual([0, 3]);

    const mismatch = new QueueTypeMismatchError('q', 'stack', 'fifo');
    expect([mismatch.queue, mismatch.existingType, mismatch.requestedType]).toEqual(['q', 'stack', 'fifo']);

    const timeout = new JobTimeoutError('q', 'id-1', 10);
    expect([timeout.queue, timeout.jobId, timeout.timeoutMs]).toEqual(['q', 'id-1', 10]);

    const wait = new WaitTimeoutError('q', 'id-1', 20, 'waiting');
    expect([wait.queue, wait.jobId, wait.timeoutMs, wait.lastStatus]).toEqual(['q', 'id-1', 20, 'waiting']);

    const failed = new JobFailedError('q', 'id-1', null);
    expect([failed.queue, failed.jobId, failed.failure]).toEqual(['q', 'id-1', null]);

    const lease = new LeaseLostError('q', 'id-1');
    expect([lease.queue, lease.jobId]).toEqual(['q', 'id-1']);
  });

  it('JobFailedError copes with an unknown failure', () => {
    const error = new JobFailedError('q', 'job-9', null);
    expect(error.failure).toBeNull();
    expect(error.message).toContain('job-9');
    expect(error.message).toContain('unknown error');
  });

  it('JobValidationError labels a whole-payload violation as (payload)', () => {
    const error = new JobValidationError('s', 'output', [{ path: '', constraints: { isObject: 'output must be an object' } }]);
    expect(error.message).toContain('(payload)');
    expect(error.message).toContain('Invalid output');
  });
});

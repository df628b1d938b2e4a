import { BackendClosedError, InvalidOptionError, LocalClient, RabbitMQClient, RedisClient, type JobBackend } from '../../lib';
import {
  checkOpen,
  checkPriorityAllowed,
  deadLettersDroppedWarning,
  duplicateJobIdError,
  notDeadLettersError,
  retentionRuleText,
} from '../../lib/backend/backend-rules';
import { RABBITMQ_URL, REDIS_URL, requireServer } from '../support/servers';

describe('the rules every backend keeps, in one place', () => {
  it('a priority on a queue that does not order by it is refused naming the option, the queue and its type', () => {
    expect(() => checkPriorityAllowed('images', 'priority', 5)).not.toThrow();
    expect(() => checkPriorityAllowed('images', 'fifo', 0)).not.toThrow();
    let error: unknown;
    try {
      checkPriorityAllowed('images', 'stack', 5);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error).toMatchObject({ where: 'publish to "images"', option: 'priority' });
    expect((error as Error).message).toContain('"images" is stack');
  });

  it('a duplicate id names the id and the way out; a backend may say where it is held and add advice', () => {
    expect(duplicateJobIdError('images', 'job-1')).toMatchObject({
      option: 'job.id',
      message: expect.stringMatching(/job-1 is already known to this backend — publish a new job \(jobFromSchema\)/),
    });
    const told = duplicateJobIdError(
      'images',
      'job-1',
      'is already a job of "images"',
      'if this retries a lost publish, it went through; otherwise ',
    );
    expect(told.message).toContain(
      'job-1 is already a job of "images" — if this retries a lost publish, it went through; otherwise publish a new job',
    );
  });

  it('a redrive of ids that are not dead letters names every one of them', () => {
    expect(notDeadLettersError('images', ['a', 'b c'])).toMatchObject({
      where: 'redrive on "images"',
      option: 'ids',
      message: expect.stringMatching(/not in its dead-letter queue: a, b c$/),
    });
  });

  it('a dropped dead letter is warned of with its queue, the rule in words and the first ids', () => {
    const warning = deadLettersDroppedWarning('images', ['a', 'b', 'c', 'd'], { count: 2, ageMs: Infinity });
    expect(warning).toContain(
      '4 dead letter(s) of queue "images" (retention.dead keeps the newest 2 for ever): a, b, c, … — raise retention.dead',
    );
    expect(retentionRuleText({ count: Infinity, ageMs: 1000 })).toBe('any number for 1000 ms');
  });

  it('after close, a call is refused with BackendClosedError naming the backend', () => {
    expect(() => checkOpen('LocalClient', false)).not.toThrow();
    expect(() => checkOpen('LocalClient', true)).toThrow(new BackendClosedError('LocalClient'));
  });
});

describe('every backend, once closed, refuses the same way', () => {
  beforeAll(async () => {
    await requireServer('redis');
    await requireServer('rabbitmq');
  });

  const backends: [string, () => JobBackend][] = [
    ['LocalClient', () => new LocalClient()],
    ['RedisClient', () => new RedisClient(REDIS_URL)],
    ['RabbitMQClient', () => new RabbitMQClient(RABBITMQ_URL)],
  ];

  it.each(backends)('%s', async (name, create) => {
    const backend = create();
    await backend.close();
    await expect(backend.declareQueue('closed', 'fifo')).rejects.toThrow(new BackendClosedError(name));
    await expect(backend.getJob('any')).rejects.toThrow(new BackendClosedError(name));
  });
});

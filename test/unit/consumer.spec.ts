import { IsString } from 'class-validator';
import {
  Consumer,
  ConsumerBase,
  ConsumerStateError,
  InvalidOptionError,
  Job,
  JobInput,
  JobSchema,
  LocalClient,
  Orchestrator,
} from '../../lib';

class DetectionInput extends JobInput {
  @IsString() image_path = '/default.jpg';
}

class DetectionConsumer extends Consumer<DetectionInput, { objects: unknown[] }> {
  run(job: Job<DetectionInput>) {
    return { objects: [job.payload.image_path] };
  }
}

/** The error `fn` throws or rejects with; fails the test if it does neither. */
async function errorOf(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error, none was thrown');
}

describe('Consumer', () => {
  let orchestrator: Orchestrator;

  beforeEach(() => {
    orchestrator = new Orchestrator(new LocalClient());
  });

  afterEach(async () => {
    await orchestrator.close();
  });

  describe('as a base class', () => {
    it('makes instances of both Consumer and ConsumerBase', () => {
      const consumer = new DetectionConsumer('object_detection');
      expect(consumer).toBeInstanceOf(Consumer);
      expect(consumer).toBeInstanceOf(ConsumerBase);
      expect(consumer).toBeInstanceOf(DetectionConsumer);
      expect(consumer.queueName).toBe('object_detection');
    });

    it('resolves its options', () => {
      const consumer = new DetectionConsumer('object_detection', { concurrency: 3 });
      expect(consumer.options.concurrency).toBe(3);
      expect(consumer.options.attempts).toBe(1);
    });

    it('rejects an invalid option, naming the class, the queue and the option', async () => {
      const error = await errorOf(() => new DetectionConsumer('object_detection', { concurrency: 0 }));
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect((error as InvalidOptionError).option).toBe('concurrency');
      expect((error as Error).message).toContain('DetectionConsumer');
      expect((error as Error).message).toContain('object_detection');
    });
  });

  describe('as a decorator', () => {
    it('records the queue and options as metadata', () => {
      @Consumer('q', { concurrency: 2 })
      class Decorated {}
      expect(Reflect.getMetadata('mindtrace:jobs:consumer', Decorated)).toEqual({ queue: 'q', options: { concurrency: 2 } });
    });

    it('records empty options when none are given', () => {
      @Consumer('q')
      class Decorated {}
      expect(Reflect.getMetadata('mindtrace:jobs:consumer', Decorated)).toEqual({ queue: 'q', options: {} });
    });

    it('leaves undecorated classes without metadata', () => {
      class Plain {}
      expect(Reflect.getMetadata('mindtrace:jobs:consumer', Plain)).toBeUndefined();
    });
  });

  describe('lifecycle', () => {
    it('refuses consume() before connect(), saying to call connect()', async () => {
      const consumer = new DetectionConsumer('object_detection');
      const error = await errorOf(() => consumer.consume(1));
      expect(error).toBeInstanceOf(ConsumerStateError);
      expect((error as Error).message).toContain('connect(');
      expect((error as Error).message).toContain('object_detection');
    });

    it('refuses consumeUntilEmpty() before connect()', async () => {
      const consumer = new DetectionConsumer('object_detection');
      expect(await errorOf(() => consumer.consumeUntilEmpty())).toBeInstanceOf(ConsumerStateError);
    });

    it('refuses a second connect()', async () => {
      const consumer = new DetectionConsumer('object_detection');
      consumer.connect(orchestrator);
      const error = await errorOf(() => consumer.connect(orchestrator));
      expect(error).toBeInstanceOf(ConsumerStateError);
      expect((error as Error).message).toContain('DetectionConsumer');
    });

    it.each([-1, 1.5, NaN])('rejects consume(%p), naming numMessages', async (numMessages) => {
      await orchestrator.declareQueue('object_detection');
      const consumer = new DetectionConsumer('object_detection');
      consumer.connect(orchestrator);
      const error = await errorOf(() => consumer.consume(numMessages));
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect((error as InvalidOptionError).option).toBe('numMessages');
      expect((error as Error).message).toContain('"numMessages"');
    });

    it('consume(0) settles nothing and resolves with 0', async () => {
      await orchestrator.declareQueue('object_detection');
      const consumer = new DetectionConsumer('object_detection');
      consumer.connect(orchestrator);
      expect(await consumer.consume(0)).toBe(0);
    });
  });

  describe('retries', () => {
    it('hands the backoff function the attempt and the error the run threw', async () => {
      class RateLimitError extends Error {}
      const thrown = new RateLimitError('slow down');
      const backoff = jest.fn((_attempt: number, _error: unknown) => 0);
      let runs = 0;
      class Flaky extends Consumer<DetectionInput> {
        run() {
          runs++;
          if (runs === 1) throw thrown;
          return { ok: true };
        }
      }
      await orchestrator.register(new JobSchema({ name: 'flaky', input: DetectionInput }));
      const consumer = new Flaky('flaky', { attempts: 2, backoff });
      consumer.connect(orchestrator);
      await orchestrator.publish('flaky', { image_path: '/a.jpg' });
      expect(await consumer.consume(2)).toBe(2);
      expect(runs).toBe(2);
      expect(backoff).toHaveBeenCalledTimes(1);
      const [attempt, error] = backoff.mock.calls[0];
      expect(attempt).toBe(1);
      expect(error).toBe(thrown);
    });
  });
});

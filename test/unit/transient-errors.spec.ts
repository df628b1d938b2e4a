import { IsString } from 'class-validator';
import {
  BrokerUnavailableError,
  Consumer,
  JobInput,
  JobSchema,
  JobStoreUnavailableError,
  JobsError,
  LocalClient,
  Orchestrator,
  RedisUnavailableError,
  TransientBackendError,
  type Delivery,
  type FetchOptions,
} from '../../lib';
import { Logger } from '../../lib/logger/logger';

class Input extends JobInput {
  @IsString() label = '';
}

class Succeeds extends Consumer<Input> {
  run(): string {
    return 'done';
  }
}

/** A real LocalClient whose next fetches fail with the given errors first, as a broker outage would make them. */
class FailingFetches extends LocalClient {
  constructor(private readonly failures: Error[]) {
    super();
  }

  override fetch(queue: string, max: number, options: FetchOptions): Promise<Delivery[]> {
    const failure = this.failures.shift();
    return failure ? Promise.reject(failure) : super.fetch(queue, max, options);
  }
}

/** Rejects instead of hanging when a call the test expects to end never does. */
function settledWithin<T>(promise: Promise<T>, ms = 10_000): Promise<T> {
  let guard: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => (guard = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms)));
  return Promise.race([promise, hang]).finally(() => clearTimeout(guard));
}

it('the errors that say "not now" share one type, TransientBackendError, which is not a JobsError', () => {
  const transient = [
    new BrokerUnavailableError('localhost:5672', 'ECONNREFUSED', true),
    new RedisUnavailableError('publish', 'q', 'localhost:6379', 'ECONNREFUSED', true),
    new JobStoreUnavailableError('q', 'job-1', 'started', 'ECONNREFUSED'),
  ];
  for (const error of transient) {
    expect(error).toBeInstanceOf(TransientBackendError);
    expect(error).not.toBeInstanceOf(JobsError);
  }
  expect(transient.map((error) => error.name)).toEqual(['BrokerUnavailableError', 'BrokerUnavailableError', 'JobStoreUnavailableError']);
});

describe('a consumer whose fetch fails', () => {
  let orchestrator: Orchestrator;
  afterEach(async () => {
    await orchestrator.close();
    jest.restoreAllMocks();
  });

  async function consumerOn(client: LocalClient): Promise<Succeeds> {
    orchestrator = new Orchestrator(client);
    const queue = await orchestrator.register(new JobSchema({ name: 'transient', input: Input }));
    await orchestrator.publish(queue, { label: 'a' });
    const consumer = new Succeeds(queue);
    consumer.connect(orchestrator);
    return consumer;
  }

  it('with a TransientBackendError waits and fetches again, then runs the job', async () => {
    const warnings: string[] = [];
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: string) => void warnings.push(message));
    const consumer = await consumerOn(new FailingFetches([new TransientBackendError('the broker is restarting')]));
    await expect(settledWithin(consumer.consume(1))).resolves.toBe(1);
    expect(warnings).toEqual([expect.stringContaining('the broker is restarting')]);
  });

  it('with any other error (a bug, not a connection problem) stops with that error instead of retrying it for ever', async () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'id')");
    const consumer = await consumerOn(new FailingFetches([bug]));
    await expect(settledWithin(consumer.consume(1))).rejects.toBe(bug);
  });
});

import { Consumer, JobSchema, Orchestrator, type ConsumerOptions, type Job, type JobBackend } from '../../lib';
import type { BenchJob } from '../bench-job';
import type { BenchQueue, ConsumeHandlers, RunningConsumers } from './bench-system.interface';
import { BenchInput } from './bench-input.dto';

/** Calls the benchmark's handler from a consumer's run: the job arrives validated, as a BenchInput. */
class BenchConsumer extends Consumer<BenchInput> {
  constructor(
    queue: string,
    options: ConsumerOptions,
    private readonly onJob: (job: BenchJob) => void,
  ) {
    super(queue, options);
  }

  run(job: Job<BenchInput>): void {
    this.onJob(job.payload);
  }
}

/**
 * One queue of one of our backends, driven only through the public API a user has: an Orchestrator
 * with a registered JobSchema (payload validation on, at publish and again before each run) and a
 * Consumer subclass.
 */
export class OrchestratorQueue implements BenchQueue {
  private readonly consumers = new Set<BenchConsumer>();

  private constructor(
    private readonly orchestrator: Orchestrator,
    private readonly queue: string,
    /** Consumer options besides concurrency (e.g. prefetch). */
    private readonly consumerOptions: ConsumerOptions,
  ) {}

  static async open(backend: JobBackend, queue: string, consumerOptions: ConsumerOptions = {}): Promise<OrchestratorQueue> {
    const orchestrator = new Orchestrator(backend);
    try {
      await orchestrator.register(new JobSchema({ name: queue, input: BenchInput }));
    } catch (err) {
      await orchestrator.close().catch(() => undefined);
      throw err;
    }
    return new OrchestratorQueue(orchestrator, queue, consumerOptions);
  }

  async publish(job: BenchJob): Promise<void> {
    await this.orchestrator.publish(this.queue, job);
  }

  async publishBatch(jobs: readonly BenchJob[]): Promise<void> {
    await this.orchestrator.publishBatch(this.queue, jobs);
  }

  async consume(concurrency: number, handlers: ConsumeHandlers): Promise<RunningConsumers> {
    const consumer = new BenchConsumer(this.queue, { ...this.consumerOptions, concurrency }, handlers.onJob);
    consumer.on('failed', ({ job, error }) => handlers.onError(new Error(`job ${job.id} failed: ${error.message}`)));
    consumer.connect(this.orchestrator);
    this.consumers.add(consumer);
    const consuming = consumer.consume().catch((err: Error) => {
      handlers.onError(err);
      return 0;
    });
    return {
      drain: async () => {
        await consumer.close();
        await consuming;
        this.consumers.delete(consumer);
      },
    };
  }

  async close(): Promise<void> {
    await this.orchestrator.close();
  }

  async teardown(): Promise<void> {
    try {
      await Promise.all([...this.consumers].map((consumer) => consumer.close()));
      await this.orchestrator.deleteQueue(this.queue);
    } finally {
      await this.orchestrator.close();
    }
  }
}

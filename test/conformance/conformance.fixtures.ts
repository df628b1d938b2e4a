import { IsInt, IsOptional, IsString } from 'class-validator';
import { Consumer, Job, JobInput, JobOutput, JobSchema, type ConsumerOptions, type RunContext } from '../../lib';

/** The payload most conformance cases publish: a label to tell jobs apart. */
export class TaskInput extends JobInput {
  @IsString() label = '';
  @IsOptional() @IsInt() n?: number;
}

export class TaskOutput extends JobOutput {
  @IsString() echoed = '';
}

export function taskSchema(queue: string): JobSchema<TaskInput, TaskOutput> {
  return new JobSchema({ name: queue, input: TaskInput, output: TaskOutput });
}

export type RunFn = (job: Job<TaskInput>, context: RunContext) => unknown;

/** A standalone consumer whose run is a function given per test. */
export class FnConsumer extends Consumer<TaskInput, TaskOutput> {
  constructor(
    queue: string,
    private readonly fn: RunFn,
    options?: ConsumerOptions,
  ) {
    super(queue, options);
  }

  async run(job: Job<TaskInput>, context: RunContext): Promise<TaskOutput> {
    const returned = await this.fn(job, context);
    return (returned as TaskOutput | undefined) ?? { echoed: job.payload.label };
  }
}

/** A consumer that records the labels it ran, in order. */
export function recordingConsumer(queue: string, options?: ConsumerOptions): { consumer: FnConsumer; seen: string[] } {
  const seen: string[] = [];
  const consumer = new FnConsumer(queue, (job) => void seen.push(job.payload.label), options);
  return { consumer, seen };
}

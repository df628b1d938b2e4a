import { InMemoryJobStateStore, LocalClient, RabbitMQClient, RedisClient, type JobBackend } from '../lib';

const BACKENDS = ['local', 'redis', 'rabbitmq'];

/** Where the local backend keeps its queues unless JOBS_FILE says otherwise (git-ignored). */
export const DEFAULT_JOBS_FILE = '.jobs/queue.db';

/**
 * Picks the backend from `JOBS_BACKEND` (local | redis | rabbitmq, default local; local keeps its queues
 * in `JOBS_FILE`). This switch is the only place that knows which broker the app uses: the rest of the
 * app sees just a JobBackend.
 */
export function createBackend(env: NodeJS.ProcessEnv): JobBackend {
  const choice = env.JOBS_BACKEND ?? 'local';
  switch (choice) {
    case 'local':
      // On a file: waiting jobs and results survive a restart, and other processes may share the queues.
      return new LocalClient({ path: env.JOBS_FILE ?? DEFAULT_JOBS_FILE });
    case 'redis':
      return new RedisClient(env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    case 'rabbitmq':
      // RabbitMQ keeps messages, not job states: GET /jobs/:id needs a job store.
      return new RabbitMQClient({ url: env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672', jobStore: new InMemoryJobStateStore() });
    default:
      throw new Error(`JOBS_BACKEND="${choice}" is not a backend — use one of: ${BACKENDS.join(', ')}`);
  }
}

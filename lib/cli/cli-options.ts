import { BACKEND_ENV } from './backend-choice';
import type { CliOption } from './commands';

/** Options every command takes: which backend, and how to print. */
export const GLOBAL_OPTIONS: Readonly<Record<string, CliOption>> = {
  redis: { type: 'string', value: 'URL', description: `Redis, e.g. redis://127.0.0.1:6379 (env ${BACKEND_ENV.redis})` },
  amqp: { type: 'string', value: 'URL', description: `RabbitMQ, e.g. amqp://guest:guest@127.0.0.1:5672 (env ${BACKEND_ENV.amqp})` },
  local: { type: 'string', value: 'PATH', description: `the durable Local backend's SQLite file (env ${BACKEND_ENV.local})` },
  prefix: {
    type: 'string',
    value: 'PREFIX',
    description: `the key or queue-name prefix the app's client uses (env ${BACKEND_ENV.prefix})`,
  },
  'job-store': {
    type: 'string',
    value: 'URL',
    description: `RabbitMQ only: the Redis of the app's RedisJobStateStore (env ${BACKEND_ENV['job-store']})`,
  },
  json: { type: 'boolean', description: 'print JSON for scripts instead of tables' },
  help: { type: 'boolean', description: 'show help (also after a command)' },
};

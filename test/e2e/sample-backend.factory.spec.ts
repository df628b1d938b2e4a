import { LocalClient, RabbitMQClient } from '../../lib';
import { createBackend } from '../../sample/backend.factory';

/** The sample's one switch between brokers: what each JOBS_BACKEND value gives (no broker needed). */
describe('sample createBackend', () => {
  it('gives a fresh LocalClient when JOBS_BACKEND is unset or "local"', async () => {
    const unset = createBackend({});
    const local = createBackend({ JOBS_BACKEND: 'local' });
    expect(unset).toBeInstanceOf(LocalClient);
    expect(local).toBeInstanceOf(LocalClient);
    expect(local).not.toBe(unset);
    await Promise.all([unset.close(), local.close()]);
  });

  it('hands REDIS_URL to RedisClient for JOBS_BACKEND=redis', () => {
    // A URL RedisClient refuses proves the value reached it, without opening a connection.
    expect(() => createBackend({ JOBS_BACKEND: 'redis', REDIS_URL: 'http://not-redis:6379' })).toThrow(
      /RedisClient.*redis:\/\/.*http:\/\/not-redis:6379/,
    );
  });

  it('hands RABBITMQ_URL to RabbitMQClient, with a job store, for JOBS_BACKEND=rabbitmq', async () => {
    expect(() => createBackend({ JOBS_BACKEND: 'rabbitmq', RABBITMQ_URL: 'http://not-rabbit:5672' })).toThrow(
      /RabbitMQClient: option "url" must start with amqp:\/\//,
    );
    const client = createBackend({ JOBS_BACKEND: 'rabbitmq' });
    expect(client).toBeInstanceOf(RabbitMQClient);
    expect(client.capabilities.jobState).toBe(true);
    await client.close();
  });

  it('refuses an unknown JOBS_BACKEND, listing the allowed values', () => {
    expect(() => createBackend({ JOBS_BACKEND: 'kafka' })).toThrow(
      'JOBS_BACKEND="kafka" is not a backend — use one of: local, redis, rabbitmq',
    );
  });
});

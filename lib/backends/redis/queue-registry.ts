import type { QueueSummary } from '../../backend/job-backend.interface';
import type { QueueType } from '../../backend/queue-type';
import type { RedisConnection } from './redis-connection';
import type { RedisKeys } from './redis-keys';

/**
 * The names of the declared queues (`P:queues`, a set), so listQueues need not SCAN the keyspace. A
 * queue joins when declared and leaves when deleted, never per publish. It is a key of its own (on
 * Redis Cluster in another slot than the queue), so it is written beside the queue's script; a name
 * whose queue is gone (deleted by hand) is dropped when listed.
 */
export class QueueRegistry {
  constructor(
    private readonly connection: RedisConnection,
    private readonly keys: RedisKeys,
  ) {}

  async add(queue: string): Promise<void> {
    await this.connection.call('declareQueue', queue, this.connection.redis.sadd(this.keys.queues(), queue));
  }

  async remove(queue: string): Promise<void> {
    await this.connection.call('deleteQueue', queue, this.connection.redis.srem(this.keys.queues(), queue));
  }

  /** Every registered queue still declared, with its type, sorted by name. */
  async list(): Promise<QueueSummary[]> {
    const { redis } = this.connection;
    const names = (await this.connection.call('listQueues', null, redis.smembers(this.keys.queues()))).sort();
    // One HGET per queue, each to its own slot: sent together, not a multi-key command.
    const types = await this.connection.call(
      'listQueues',
      null,
      Promise.all(names.map((name) => redis.hget(this.keys.queue(name)[0], 'type'))),
    );
    const gone = names.filter((_, i) => types[i] === null);
    if (gone.length > 0) await this.connection.call('listQueues', null, redis.srem(this.keys.queues(), ...gone));
    return names.flatMap((name, i) => (types[i] === null ? [] : [{ name, type: types[i] as QueueType }]));
  }
}

import type { Channel } from 'amqplib';

/**
 * Returns once the broker has handled every frame sent on `channel` so far. Acks and nacks have no
 * reply, so without this a count asked on another channel can reach the queue before a nack's requeue
 * and miss the jobs given back. The broker handles a channel's frames in order and hands each ack or
 * nack to the queue before it answers the next call, so one round trip on the same channel orders them
 * before whatever is sent next. A passive declare of `amq.direct` (every vhost has it, nobody can
 * delete it, it needs no permission) is that round trip and changes nothing.
 */
export async function fenceChannel(channel: Channel): Promise<void> {
  await channel.checkExchange('amq.direct');
}

import type * as Amqplib from 'amqplib';
import { requireOptionalPeers } from '../../peers/optional-peer';

/** amqplib, loaded when a RabbitMQ backend is constructed: an app on another backend need not install it. */
export function loadAmqplib(neededBy: string): typeof Amqplib {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, so a user without it never loads it
  return requireOptionalPeers(neededBy, ['amqplib'], () => require('amqplib') as typeof Amqplib);
}

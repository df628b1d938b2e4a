import { Socket } from 'node:net';

const HOW_TO_START = {
  redis:
    'Start it with: redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no ' +
    '(or `docker compose up -d --wait redis`)',
  rabbitmq: 'Start it with: rabbitmq-server -detached && rabbitmqctl await_startup (or `docker compose up -d --wait rabbitmq`)',
};

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const RABBITMQ_URL = process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/**
 * Fails the calling test file (never skips it) when the server does not answer, saying how to start
 * it: the Redis and RabbitMQ tests run against real servers, not mocks.
 */
export async function requireServer(kind: keyof typeof HOW_TO_START): Promise<void> {
  const url = new URL(kind === 'redis' ? REDIS_URL : RABBITMQ_URL);
  const port = Number(url.port || (kind === 'redis' ? 6379 : 5672));
  const host = url.hostname;
  const reachable = await new Promise<boolean>((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, host, () => done(true));
  });
  if (!reachable) throw new Error(`${kind} is not answering on ${host}:${port}. ${HOW_TO_START[kind]}`);
}

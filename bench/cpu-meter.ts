import { readdirSync, readFileSync } from 'node:fs';
import type Redis from 'ioredis';

/** CPU time spent during a measured phase, in milliseconds; null where it could not be read. */
export interface CpuSpent {
  /** The benchmark's processes: the producer, and the consumer processes of a pipeline. */
  client: number;
  /** redis-server, from INFO cpu (all its clients: other work on the same Redis is counted too). */
  redis: number | null;
  /** The RabbitMQ node (beam.smp), from /proc when it runs on this machine. */
  rabbitmq: number | null;
}

interface Snapshot {
  client: NodeJS.CpuUsage;
  redis: number | null;
  rabbitmq: number | null;
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

/**
 * Reads how much CPU the client process and the brokers used between start() and stop(). On a 2-core
 * machine where the broker and the clients share the cores, CPU per job is what bounds throughput, and
 * it says on which side of the socket the time goes.
 */
export class CpuMeter {
  private rabbitPid: number | null | undefined;

  constructor(private readonly redis: Redis | null) {}

  async start(): Promise<Snapshot> {
    return { client: process.cpuUsage(), redis: await this.redisCpuMs(), rabbitmq: this.rabbitCpuMs() };
  }

  /** CPU used since `from`; `extraClientMs` adds what other client processes (pipeline consumers) reported. */
  async stop(from: Snapshot, extraClientMs = 0): Promise<CpuSpent> {
    const client = process.cpuUsage(from.client);
    const redis = await this.redisCpuMs();
    const rabbitmq = this.rabbitCpuMs();
    return {
      client: (client.user + client.system) / 1000 + extraClientMs,
      redis: redis !== null && from.redis !== null ? redis - from.redis : null,
      rabbitmq: rabbitmq !== null && from.rabbitmq !== null ? rabbitmq - from.rabbitmq : null,
    };
  }

  private async redisCpuMs(): Promise<number | null> {
    if (!this.redis) return null;
    try {
      const info = await this.redis.info('cpu');
      const user = Number(/used_cpu_user:([\d.]+)/.exec(info)?.[1]);
      const sys = Number(/used_cpu_sys:([\d.]+)/.exec(info)?.[1]);
      return Number.isFinite(user + sys) ? (user + sys) * 1000 : null;
    } catch {
      return null;
    }
  }

  private rabbitCpuMs(): number | null {
    if (this.rabbitPid === undefined) this.rabbitPid = findRabbitPid();
    if (this.rabbitPid === null) return null;
    try {
      const stat = readFileSync(`/proc/${this.rabbitPid}/stat`, 'utf8');
      // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return ((Number(fields[11]) + Number(fields[12])) / USER_HZ) * 1000;
    } catch {
      return null;
    }
  }
}

/** The RabbitMQ server's Erlang VM on this machine (not a rabbitmqctl one), or null. */
function findRabbitPid(): number | null {
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
        if (cmdline.includes('beam') && cmdline.includes('rabbit') && cmdline.includes('boot') && !cmdline.includes('rabbitmqctl'))
          return Number(entry);
      } catch {
        // The process ended while we looked.
      }
    }
  } catch {
    // No /proc: not Linux.
  }
  return null;
}

/** A process's own CPU since `from`, in milliseconds (for consumer processes to report). */
export function cpuMsSince(from: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(from);
  return (used.user + used.system) / 1000;
}

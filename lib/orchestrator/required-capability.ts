import type { BackendCapabilities, JobBackend } from '../backend/job-backend.interface';
import { UnsupportedCapabilityError } from '../errors';

type FlowCapability = 'schedules' | 'pause' | 'rateLimit' | 'deduplication' | 'progress';

/** What to use instead, per capability: the backends that have it, and why the others cannot. */
const WHERE_INSTEAD: Readonly<Record<FlowCapability, string>> = {
  schedules:
    'RedisClient and LocalClient keep repeatable jobs (RabbitMQ keeps no record to compare-and-set a schedule on); ' +
    'use one of them for the queue, or run a cron in one process that publishes',
  pause: 'LocalClient, RedisClient and RabbitMQClient can pause a queue',
  rateLimit:
    'RedisClient and LocalClient enforce a rate limit shared by every consumer (RabbitMQ has no shared counter); ' +
    'use one of them, or bound the work with concurrency',
  deduplication:
    'RedisClient and LocalClient keep deduplication keys (RabbitMQ keeps no index of keys); use one of them, or publish without deduplication',
  progress: 'RedisClient, LocalClient and RabbitMQClient with a jobStore keep progress',
};

/** Throws UnsupportedCapabilityError, naming `feature`, unless the backend declares `capability`. */
export function requireCapability(backend: JobBackend, capability: FlowCapability & keyof BackendCapabilities, feature: string): void {
  if (backend.capabilities[capability]) return;
  throw new UnsupportedCapabilityError(backend.name, feature, WHERE_INSTEAD[capability]);
}

import { JobsError } from './jobs.error';

export class QueueTypeMismatchError extends JobsError {
  constructor(
    readonly queue: string,
    readonly existingType: string,
    readonly requestedType: string,
  ) {
    super(
      `Queue "${queue}" already exists as a ${existingType} queue and cannot be declared as ${requestedType} — ` +
        `delete it first (orchestrator.deleteQueue) or register it with queueType '${existingType}'`,
    );
  }
}

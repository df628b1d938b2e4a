/**
 * How a queue orders its waiting jobs.
 * - `fifo`: first published, first delivered.
 * - `priority`: higher `priority` first; equal priorities in publish order.
 * - `stack`: last published, first delivered.
 */
export type QueueType = 'fifo' | 'priority' | 'stack';

export const QUEUE_TYPES: readonly QueueType[] = ['fifo', 'priority', 'stack'];

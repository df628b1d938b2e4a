import { scheduleOccurrenceId } from '../../lib/backend/schedule-record';

describe('scheduleOccurrenceId', () => {
  it('gives a queue and key without ":" or "%" the id earlier versions gave, so occurrences enqueued before an upgrade are found', () => {
    expect(scheduleOccurrenceId('reports', 'nightly', 1_700_000_000_000)).toBe('schedule:reports:nightly:1700000000000');
  });

  it('tells apart queues and keys that differ only in where a ":" falls', () => {
    const at = 1_700_000_000_000;
    const ids = [
      scheduleOccurrenceId('a:b', 'c', at),
      scheduleOccurrenceId('a', 'b:c', at),
      scheduleOccurrenceId('a:b:c', 'd', at),
      scheduleOccurrenceId('a', 'b:c:d', at),
      scheduleOccurrenceId('a:b', 'c:d', at),
    ];
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('escapes "%" too, so a name that reads like an escaped ":" is not one', () => {
    const at = 5;
    expect(scheduleOccurrenceId('a%3Ab', 'c', at)).not.toBe(scheduleOccurrenceId('a:b', 'c', at));
    expect(scheduleOccurrenceId('a:b', 'c', at)).toBe('schedule:a%3Ab:c:5');
    expect(scheduleOccurrenceId('a%3Ab', 'c', at)).toBe('schedule:a%253Ab:c:5');
  });
});

import { InvalidOptionError } from '../../lib';
import type { ScheduleSpec } from '../../lib/backend/schedule-record';
import { checkScheduleSpec, sameSpec, tickAfter, tickFollowing } from '../../lib/schedule/schedule-spec';
import { sameTemplate } from '../../lib/schedule/schedule-upsert';
import { scheduleInfoOf } from '../../lib/schedule/schedule-info';
import { thrownBy } from '../support/thrown';

const WHERE = 'schedule("reports", "nightly")';
const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number): string => new Date(ms).toISOString();

/** The first `n` ticks after `from`, as ISO strings. */
function ticks(spec: ScheduleSpec, from: string, n: number): string[] {
  const out: string[] = [];
  let after = at(from);
  for (let i = 0; i < n; i++) out.push(iso((after = tickAfter(spec, after))));
  return out;
}

describe('every-schedule ticks', () => {
  it('fall on whole multiples of the interval since the epoch, strictly after the given time', () => {
    expect(tickAfter({ every: 1000 }, 1500)).toBe(2000);
    expect(tickAfter({ every: 1000 }, 2000)).toBe(3000);
    expect(tickAfter({ every: 60_000 }, at('2026-01-01T10:00:59.999Z'))).toBe(at('2026-01-01T10:01:00.000Z'));
  });

  it('are the same whenever in the interval a process computes them', () => {
    const spec = { every: 200 };
    const fromProcesses = [10_001, 10_050, 10_199.5, 10_000.1].map((now) => tickAfter(spec, now));
    expect(new Set(fromProcesses)).toEqual(new Set([10_200]));
  });
});

describe('cron-schedule ticks', () => {
  it('are read in UTC without a time zone', () => {
    expect(ticks({ cron: '0 3 * * *' }, '2026-01-01T05:00:00Z', 2)).toEqual(['2026-01-02T03:00:00.000Z', '2026-01-03T03:00:00.000Z']);
  });

  it("follow the zone's wall clock across its daylight-saving changes", () => {
    const berlin3am = { cron: '0 3 * * *', tz: 'Europe/Berlin' };
    // CET (+1) before 29 March 2026, CEST (+2) after.
    expect(ticks(berlin3am, '2026-03-27T12:00:00Z', 3)).toEqual([
      '2026-03-28T02:00:00.000Z',
      '2026-03-29T01:00:00.000Z',
      '2026-03-30T01:00:00.000Z',
    ]);
    expect(ticks({ cron: '0 9 * * *', tz: 'America/New_York' }, '2026-03-07T12:00:00Z', 2)).toEqual([
      '2026-03-07T14:00:00.000Z',
      '2026-03-08T13:00:00.000Z',
    ]);
  });

  it('run a wall-clock time the spring change skips at the first moment after it, and one the autumn change repeats once', () => {
    const berlin230 = { cron: '30 2 * * *', tz: 'Europe/Berlin' };
    // 02:30 does not exist on 29 March 2026 in Berlin: the tick is at 03:00 CEST.
    expect(ticks(berlin230, '2026-03-28T12:00:00Z', 2)).toEqual(['2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z']);
    // 02:30 happens twice on 25 October 2026: one tick, at the first.
    expect(ticks(berlin230, '2026-10-24T12:00:00Z', 3)).toEqual([
      '2026-10-25T00:30:00.000Z',
      '2026-10-26T01:30:00.000Z',
      '2026-10-27T01:30:00.000Z',
    ]);
  });
});

describe('tickFollowing (missed ticks)', () => {
  it('is the tick after the one taken while that is still ahead', () => {
    expect(tickFollowing({ every: 1000 }, 5000, 5300)).toBe(6000);
  });

  it('keeps a tick that passed while its predecessor was taken late: a busy consumer drops no tick', () => {
    expect(tickFollowing({ every: 1000 }, 5000, 6000)).toBe(6000);
    expect(tickFollowing({ every: 200 }, 5000, 5250)).toBe(5200);
  });

  it('skips the ticks missed while nothing consumed: the next is the first after now', () => {
    expect(tickFollowing({ every: 1000 }, 5000, 9300)).toBe(10_000);
    expect(tickFollowing({ every: 1000 }, 5000, 7000)).toBe(8000);
    const nightly = { cron: '0 3 * * *' };
    expect(iso(tickFollowing(nightly, at('2026-01-01T03:00:00Z'), at('2026-01-05T12:00:00Z')))).toBe('2026-01-06T03:00:00.000Z');
  });
});

describe('checkScheduleSpec', () => {
  const refused = (when: unknown): InvalidOptionError => thrownBy(InvalidOptionError, () => checkScheduleSpec(WHERE, when));

  it('returns what the backend stores', () => {
    expect(checkScheduleSpec(WHERE, { every: 60_000 })).toEqual({ every: 60_000 });
    expect(checkScheduleSpec(WHERE, { cron: '0 3 * * *' })).toEqual({ cron: '0 3 * * *' });
    expect(checkScheduleSpec(WHERE, { cron: '*/10 * * * * *', tz: 'Europe/Berlin' })).toEqual({
      cron: '*/10 * * * * *',
      tz: 'Europe/Berlin',
    });
    expect(checkScheduleSpec(WHERE, { every: 1, cron: undefined })).toEqual({ every: 1 });
  });

  it('names the field at fault', () => {
    expect(refused({ cron: 'every day' }).option).toBe('when.cron');
    expect(refused({ cron: '61 * * * *' }).option).toBe('when.cron');
    expect(refused({ cron: '' }).option).toBe('when.cron');
    expect(refused({ cron: '0 3 * * *', tz: 'Mars/Olympus' }).option).toBe('when.tz');
    expect(refused({ cron: '0 3 * * *', tz: '' }).option).toBe('when.tz');
    for (const every of [0, -5, 1.5, Number.NaN, Infinity, '1000']) expect(refused({ every }).option).toBe('when.every');
    expect(refused({ every: 1000, cron: '* * * * *' }).option).toBe('when.every');
    expect(refused({ every: 1000, tz: 'UTC' }).option).toBe('when.every');
    expect(refused({ evry: 1000 }).option).toBe('when.evry');
    expect(refused('0 3 * * *').option).toBe('when');
    expect(refused(null).option).toBe('when');
    expect(refused({}).option).toBe('when.cron');
  });

  it('says where and what in its message', () => {
    const error = refused({ every: 0 });
    expect(error.message).toBe(`${WHERE}: option "when.every" must be a whole number of milliseconds >= 1, got 0`);
    expect(refused({ cron: '0 3 * * *', tz: 'Mars/Olympus' }).message).toContain("IANA time zone such as 'Europe/Berlin'");
  });
});

describe('sameSpec and sameTemplate (is a schedule() call a change?)', () => {
  it('take a cron without a zone as UTC', () => {
    expect(sameSpec({ cron: '0 3 * * *' }, { cron: '0 3 * * *', tz: 'UTC' })).toBe(true);
    expect(sameSpec({ cron: '0 3 * * *' }, { cron: '0 4 * * *' })).toBe(false);
    expect(sameSpec({ cron: '0 3 * * *', tz: 'Europe/Berlin' }, { cron: '0 3 * * *' })).toBe(false);
    expect(sameSpec({ every: 1000 }, { every: 1000 })).toBe(true);
    expect(sameSpec({ every: 1000 }, { every: 2000 })).toBe(false);
    expect(sameSpec({ every: 1000 }, { cron: '* * * * * *' })).toBe(false);
  });

  it('compare payloads whatever their key order, and every other field', () => {
    const base = { name: 'reports', schemaName: 'reports', priority: 0, payload: { kind: 'daily', n: { a: 1, b: [1, 2] } } };
    expect(sameTemplate(base, { ...base, payload: { n: { b: [1, 2], a: 1 }, kind: 'daily' } })).toBe(true);
    expect(sameTemplate(base, { ...base, payload: { kind: 'daily', n: { a: 1, b: [2, 1] } } })).toBe(false);
    expect(sameTemplate(base, { ...base, priority: 2 })).toBe(false);
    expect(sameTemplate(base, { ...base, name: 'other' })).toBe(false);
  });
});

describe('scheduleInfoOf', () => {
  it('gives dates, and the zone of a cron schedule (UTC by default)', () => {
    const info = scheduleInfoOf({
      queue: 'reports',
      key: 'nightly',
      spec: { cron: '0 3 * * *' },
      template: { name: 'reports', schemaName: 'reports', payload: { kind: 'daily' }, priority: 1 },
      nextRunAt: at('2026-01-02T03:00:00Z'),
      updatedAt: '2026-01-01T10:00:00.000Z',
    });
    expect(info).toEqual({
      queue: 'reports',
      key: 'nightly',
      cron: '0 3 * * *',
      tz: 'UTC',
      nextRunAt: new Date('2026-01-02T03:00:00Z'),
      payload: { kind: 'daily' },
      priority: 1,
      updatedAt: new Date('2026-01-01T10:00:00.000Z'),
    });
  });
});

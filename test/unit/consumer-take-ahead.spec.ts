import { AHEAD_WORK_MS, AUTO_MAX_CONCURRENCY, AUTO_MOST, RUNS_MEANT, SHORT_RUN_MS, TakeAhead } from '../../lib/consumer/take-ahead';

/** Feeds `count` runs of `ms` each. */
function ran(takeAhead: TakeAhead, count: number, ms: number): TakeAhead {
  for (let i = 0; i < count; i++) takeAhead.ran(ms);
  return takeAhead;
}

describe('TakeAhead', () => {
  it('keeps a number given as it is, whatever the runs', () => {
    expect(ran(new TakeAhead(0, 4, true), 50, 0.1).size).toBe(0);
    expect(ran(new TakeAhead(7, 4, true), 50, 1000).size).toBe(7);
    expect(new TakeAhead(7, 4, false).size).toBe(7);
    expect(new TakeAhead(7, 4, true).adaptive).toBe(false);
  });

  it("'auto' takes nothing ahead until it has timed RUNS_MEANT runs", () => {
    const takeAhead = ran(new TakeAhead('auto', 1, true), RUNS_MEANT - 1, 0.1);
    expect(takeAhead.size).toBe(0);
    takeAhead.ran(0.1);
    expect(takeAhead.size).toBeGreaterThan(0);
  });

  it("'auto' takes ahead what its slots get through in AHEAD_WORK_MS, at most AUTO_MOST", () => {
    expect(ran(new TakeAhead('auto', 1, true), RUNS_MEANT, 2).size).toBe(AHEAD_WORK_MS / 2);
    expect(ran(new TakeAhead('auto', 3, true), RUNS_MEANT, 2).size).toBe((3 * AHEAD_WORK_MS) / 2);
    expect(ran(new TakeAhead('auto', 1, true), RUNS_MEANT, 0.01).size).toBe(AUTO_MOST);
    // Runs too short for the clock: the ceiling, not Infinity.
    expect(ran(new TakeAhead('auto', 4, true), RUNS_MEANT, 0).size).toBe(AUTO_MOST);
  });

  it("'auto' takes nothing ahead while the mean run is SHORT_RUN_MS or longer", () => {
    expect(ran(new TakeAhead('auto', 4, true), RUNS_MEANT, SHORT_RUN_MS).size).toBe(0);
    expect(ran(new TakeAhead('auto', 4, true), RUNS_MEANT, 1000).size).toBe(0);
  });

  it("'auto' takes nothing ahead for a consumer with more than AUTO_MAX_CONCURRENCY slots (their completions bring the next jobs)", () => {
    expect(ran(new TakeAhead('auto', AUTO_MAX_CONCURRENCY, true), RUNS_MEANT, 0.1).size).toBeGreaterThan(0);
    const many = ran(new TakeAhead('auto', AUTO_MAX_CONCURRENCY + 1, true), RUNS_MEANT, 0.1);
    expect(many.size).toBe(0);
    expect(many.adaptive).toBe(false);
    expect(ran(new TakeAhead(100, 50, true), RUNS_MEANT, 0.1).size).toBe(100);
  });

  it("'auto' follows the recent runs: one long run turns it off, short ones turn it on again", () => {
    const takeAhead = ran(new TakeAhead('auto', 1, true), RUNS_MEANT, 0.1);
    expect(takeAhead.size).toBe(AUTO_MOST);
    takeAhead.ran(100);
    expect(takeAhead.size).toBe(0);
    ran(takeAhead, 5 * RUNS_MEANT, 0.1);
    expect(takeAhead.size).toBe(AUTO_MOST);
  });

  it("'auto' where it is not allowed (a rate limit, or a backend that would count a stall) takes nothing ahead and times nothing", () => {
    const takeAhead = ran(new TakeAhead('auto', 4, false), 50, 0.1);
    expect(takeAhead.size).toBe(0);
    expect(takeAhead.adaptive).toBe(false);
    expect(takeAhead.describe()).toBe('0');
    expect(new TakeAhead('auto', 4, true).describe()).toBe('auto');
  });
});

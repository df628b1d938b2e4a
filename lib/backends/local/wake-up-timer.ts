/** The longest delay setTimeout takes; a longer one would fire at once, so later moments take more than one hop. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * One timer for the next moment something in memory falls due (a delayed job, a finished job's
 * retention age), instead of one per thing. It never holds the process open: only this process could
 * act on what falls due, so with nothing else alive there is nothing to wait for.
 */
export class WakeUpTimer {
  private timer: NodeJS.Timeout | null = null;
  private at = Infinity;

  /** `onDue` runs at the moment set (or at a hop towards a later one), and sets the next moment itself. */
  constructor(private readonly onDue: () => void) {}

  /** The moment it is set for (epoch ms), Infinity when none. */
  get dueAt(): number {
    return this.at;
  }

  /** Fires at `at` (epoch ms) instead of the moment set before; Infinity: not at all. */
  set(at: number): void {
    if (at === this.at && (this.timer || at === Infinity)) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.at = at;
    if (at === Infinity) return;
    this.timer = setTimeout(() => this.fire(), Math.min(Math.max(at - Date.now(), 0), MAX_TIMER_MS));
    this.timer.unref();
  }

  /** Fires by `at` at the latest: an earlier moment already set stays. */
  setNoLaterThan(at: number): void {
    if (at < this.at) this.set(at);
  }

  clear(): void {
    this.set(Infinity);
  }

  private fire(): void {
    this.timer = null;
    this.at = Infinity;
    this.onDue();
  }
}

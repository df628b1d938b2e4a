/** The longest delay setTimeout takes; a later moment is reached in more than one hop. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * One timer per client for the next moment something on the file falls due (a delayed job, a lapsed
 * lease), set only while a fetch of this process waits: it is what such a fetch waits for besides the
 * wake file, so it holds the process like the wait does.
 */
export class DeadlineTimer {
  private timer: NodeJS.Timeout | null = null;
  private at = Infinity;

  constructor(private readonly onDue: () => void) {}

  /** Fires at `at` (epoch ms) instead of any moment set before; Infinity: not at all. */
  set(at: number): void {
    if (at === this.at && this.timer) return;
    this.clear();
    if (at === Infinity) return;
    this.at = at;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.at = Infinity;
        this.onDue();
      },
      Math.min(Math.max(at - Date.now(), 0), MAX_TIMER_MS),
    );
  }

  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.at = Infinity;
  }
}

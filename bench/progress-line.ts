/**
 * The one line that says what the benchmark is doing. On a terminal it is rewritten in place (\r);
 * into a file or a pipe it becomes plain lines, at most one a second, so logs stay readable.
 */
export class ProgressLine {
  private readonly tty: boolean;
  private lastText = '';
  private lastPlainAt = 0;
  private shown = false;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {
    this.tty = Boolean(stream.isTTY);
  }

  /** Shows what is going on now; `force` prints it even if a plain line went out less than a second ago. */
  update(text: string, force = false): void {
    if (text === this.lastText) return;
    this.lastText = text;
    if (this.tty) {
      const width = (this.stream.columns ?? 120) - 1;
      this.stream.write(`\r${text.length > width ? text.slice(0, width - 1) + '…' : text}\x1b[K`);
      this.shown = true;
      return;
    }
    const now = Date.now();
    if (!force && now - this.lastPlainAt < 1000) return;
    this.lastPlainAt = now;
    this.stream.write(`${text}\n`);
  }

  /** A line that stays: clears the progress line first. */
  log(line: string): void {
    this.clear();
    this.stream.write(`${line}\n`);
  }

  clear(): void {
    if (this.tty && this.shown) this.stream.write('\r\x1b[K');
    this.shown = false;
    this.lastText = '';
  }
}

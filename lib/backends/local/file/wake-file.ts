import { closeSync, openSync, watch, writeSync, type FSWatcher } from 'node:fs';

const BYTE = Buffer.from([1]);

/**
 * A small file beside the database that a process writes one byte to after a move other processes
 * may be waiting for; every process on the file watches it (inotify on Linux, FSEvents/kqueue
 * elsewhere), so a waiting one wakes when something happened instead of polling. Events arriving
 * together are handled once. The watch holds the process open only while `hold(true)`: a process
 * with nobody waiting may exit.
 */
export class WakeFile {
  private readonly fd: number;
  private watcher: FSWatcher | null = null;
  private scheduled = false;
  private held = false;

  constructor(
    private readonly path: string,
    private readonly onWake: () => void,
  ) {
    closeSync(openSync(path, 'a'));
    this.fd = openSync(path, 'r+');
  }

  /** Tells every process watching the file (this one included) that something happened. */
  notify(): void {
    writeSync(this.fd, BYTE, 0, 1, 0);
  }

  /** Starts watching, if not yet; a change seen after this call is reported. */
  watch(): void {
    if (this.watcher) return;
    this.watcher = watch(this.path, { persistent: true }, () => this.schedule());
    this.watcher.on('error', () => undefined);
    if (!this.held) this.watcher.unref();
  }

  /** Whether the watch keeps the process alive (someone in it waits for what other processes do). */
  hold(held: boolean): void {
    if (held === this.held) return;
    this.held = held;
    if (!this.watcher) return;
    if (held) this.watcher.ref();
    else this.watcher.unref();
  }

  close(): void {
    this.watcher?.close();
    this.watcher = null;
    closeSync(this.fd);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.watcher) this.onWake();
    });
  }
}

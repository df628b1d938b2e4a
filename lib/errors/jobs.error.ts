/** Base class of every error this library throws on purpose, so callers can tell ours from the rest. */
export class JobsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

import { JobsError } from './jobs.error';

/** An option passed to a consumer, a publish or a backend is out of range or of the wrong kind. */
export class InvalidOptionError extends JobsError {
  constructor(
    readonly where: string,
    readonly option: string,
    readonly problem: string,
  ) {
    super(`${where}: option "${option}" ${problem}`);
  }
}

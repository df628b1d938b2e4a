import { Catch, HttpStatus, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import {
  InvalidOptionError,
  JobNotFoundError,
  JobsError,
  QueueNotDeclaredError,
  TransientBackendError,
  UnsupportedCapabilityError,
} from '../errors';

/** The JSON body of a refused dashboard call: Nest's usual shape, plus the library's error name. */
export interface DashboardErrorBody {
  statusCode: number;
  error: string;
  message: string;
}

/** The HTTP status that says what the library's error means to a caller of the dashboard's API. */
function statusOf(error: Error): HttpStatus {
  if (error instanceof InvalidOptionError) return HttpStatus.BAD_REQUEST;
  if (error instanceof QueueNotDeclaredError || error instanceof JobNotFoundError) return HttpStatus.NOT_FOUND;
  if (error instanceof UnsupportedCapabilityError) return HttpStatus.NOT_IMPLEMENTED;
  if (error instanceof TransientBackendError) return HttpStatus.SERVICE_UNAVAILABLE;
  return HttpStatus.INTERNAL_SERVER_ERROR;
}

/**
 * Answers the dashboard's calls that the library refused with a status and the error's own message
 * (which says what to do), instead of Nest's bare 500. Errors of other kinds keep Nest's handling.
 */
@Catch(JobsError, TransientBackendError)
export class DashboardErrorFilter implements ExceptionFilter<Error> {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(error: Error, host: ArgumentsHost): void {
    const status = statusOf(error);
    const body: DashboardErrorBody = { statusCode: status, error: error.name, message: error.message };
    this.adapterHost.httpAdapter.reply(host.switchToHttp().getResponse(), body, status);
  }
}

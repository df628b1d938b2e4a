import { Catch, HttpStatus, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { throwError, type Observable } from 'rxjs';
import { JobBatchValidationError, JobValidationError } from '../errors';

/** The 400 body: Nest's usual shape (`message` lists every violation, as ValidationPipe does) plus the detail. */
export interface JobValidationErrorBody {
  statusCode: 400;
  error: 'Bad Request';
  message: string[];
  /** JobValidationError: each failing property and its constraints. */
  violations?: JobValidationError['violations'];
  /** JobBatchValidationError: each invalid job of the batch by index. */
  failures?: { index: number; message: string }[];
}

function messagesOf(error: Error): string[] {
  if (!(error instanceof JobValidationError)) return [error.message];
  // class-validator's messages start with the property's own name; prefix its parents, as ValidationPipe does.
  return error.violations.flatMap((violation) => {
    const parents = violation.path.includes('.') ? violation.path.slice(0, violation.path.lastIndexOf('.') + 1) : '';
    return Object.values(violation.constraints).map((message) => parents + message);
  });
}

export function jobValidationErrorBody(error: JobValidationError | JobBatchValidationError): JobValidationErrorBody {
  const base = { statusCode: HttpStatus.BAD_REQUEST, error: 'Bad Request' } as const;
  if (error instanceof JobValidationError) return { ...base, message: messagesOf(error), violations: error.violations };
  return {
    ...base,
    message: error.failures.flatMap((failure) => messagesOf(failure.error).map((message) => `jobs[${failure.index}]: ${message}`)),
    failures: error.failures.map((failure) => ({ index: failure.index, message: failure.error.message })),
  };
}

/**
 * Registered by JobsModule (unless `httpErrors: false`): a handler that publishes an invalid input
 * answers 400 listing what is wrong, not 500. Outside HTTP it does what each transport's own error
 * path does, so no app breaks: microservices get the error back as an erroring Observable (what RPC
 * filters return), a WebSocket client gets an 'exception' message (Nest's gateways would otherwise
 * see an unhandled rejection), and anything else (GraphQL, other external contexts) gets it rethrown,
 * as if no filter had caught it.
 */
@Catch(JobValidationError, JobBatchValidationError)
export class JobValidationExceptionFilter implements ExceptionFilter<JobValidationError | JobBatchValidationError> {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(error: JobValidationError | JobBatchValidationError, host: ArgumentsHost): void | Observable<never> {
    const type = host.getType<string>();
    if (type === 'rpc') return throwError(() => error);
    if (type === 'ws') {
      const client = host.switchToWs().getClient<{ emit?: (event: string, data: unknown) => unknown } | undefined>();
      if (typeof client?.emit !== 'function') throw error;
      client.emit('exception', { status: 'error', ...jobValidationErrorBody(error) });
      return;
    }
    const { httpAdapter } = this.adapterHost;
    if (type !== 'http' || !httpAdapter) throw error;
    httpAdapter.reply(host.switchToHttp().getResponse(), jobValidationErrorBody(error), HttpStatus.BAD_REQUEST);
  }
}

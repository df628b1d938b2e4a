import type { Context, Span, Tracer, TracerProvider } from '@opentelemetry/api';
import type { PublishItem } from '../../backend/job-backend.interface';
import type { JobRecord } from '../../backend/job-record';
import type { JobProgress } from '../../backend/job-state';
import type { Orchestrator } from '../../orchestrator/orchestrator';
import type { JobInstrumentation, RunScope } from '../job-instrumentation';
import { loadOpenTelemetryApi, type OpenTelemetryApiModule } from './opentelemetry-api';
import { MessagingAttributes, messagingSystemOf } from './messaging-attributes';
import { fromTraceContext, toTraceContext } from './w3c-trace-context';

export interface JobTracingOptions {
  /**
   * Where spans go: an OpenTelemetry TracerProvider. Default: the global one (what your OpenTelemetry
   * SDK registered). Typed loosely so this package's types do not need @opentelemetry/api.
   */
  tracerProvider?: { getTracer(name: string, version?: string): unknown };
}

/**
 * OpenTelemetry traces of jobs, after the messaging semantic conventions: a producer span `send <queue>`
 * for each publish, and a consumer span `process <queue>` for each run. The publish span's W3C trace
 * context travels inside the job (`traceContext`), so the run's span joins the publisher's trace in
 * whichever process runs it, on every retry, after a delay and after a redrive. Spans the handler
 * starts are children of its run's span.
 */
export class JobTracing implements JobInstrumentation {
  private readonly api: OpenTelemetryApiModule;
  private readonly tracer: Tracer;
  private system = 'mindtrace_jobs';

  constructor(options: JobTracingOptions = {}) {
    this.api = loadOpenTelemetryApi('JobTracing');
    const provider = (options.tracerProvider as TracerProvider | undefined) ?? this.api.trace.getTracerProvider();
    this.tracer = provider.getTracer('@mindtrace/jobs');
  }

  attach(orchestrator: Orchestrator): void {
    this.system = messagingSystemOf(orchestrator.backend.name);
  }

  publishing(queue: string, items: readonly PublishItem[]): (error?: unknown) => void {
    const { api } = this;
    const attributes: Record<string, string | number> = {
      [MessagingAttributes.SYSTEM]: this.system,
      [MessagingAttributes.DESTINATION]: queue,
      [MessagingAttributes.OPERATION_NAME]: 'send',
      [MessagingAttributes.OPERATION_TYPE]: 'send',
    };
    if (items.length === 1) attributes[MessagingAttributes.MESSAGE_ID] = items[0].job.id;
    else attributes[MessagingAttributes.BATCH_COUNT] = items.length;
    const span = this.tracer.startSpan(`send ${queue}`, { kind: api.SpanKind.PRODUCER, attributes });
    const sent = span.spanContext();
    const traceContext = toTraceContext({
      traceId: sent.traceId,
      spanId: sent.spanId,
      traceFlags: sent.traceFlags,
      traceState: sent.traceState?.serialize(),
    });
    for (const item of items) item.job.traceContext = traceContext;
    return (error?: unknown, duplicate?: boolean) => {
      if (duplicate) span.setAttribute(MessagingAttributes.DUPLICATE, true);
      this.end(span, error);
    };
  }

  running(queue: string, record: JobRecord): RunScope {
    const { api } = this;
    const parent = this.parentOf(record);
    const span = this.tracer.startSpan(
      `process ${queue}`,
      {
        kind: api.SpanKind.CONSUMER,
        attributes: {
          [MessagingAttributes.SYSTEM]: this.system,
          [MessagingAttributes.DESTINATION]: queue,
          [MessagingAttributes.OPERATION_NAME]: 'process',
          [MessagingAttributes.OPERATION_TYPE]: 'process',
          [MessagingAttributes.MESSAGE_ID]: record.id,
          [MessagingAttributes.JOB_NAME]: record.name,
          [MessagingAttributes.JOB_ATTEMPT]: record.attempt,
        },
      },
      parent,
    );
    const runContext = api.trace.setSpan(parent, span);
    let ended = false;
    return {
      within: (run, job, context) => api.context.with(runContext, run, undefined, job, context),
      end: (error) => {
        if (ended) return;
        ended = true;
        this.end(span, error);
      },
      progress: (value) => {
        if (ended) return;
        span.addEvent('progress', { [MessagingAttributes.JOB_PROGRESS]: progressAttribute(value) });
      },
    };
  }

  /** The publisher's context the job carries; else the active one (a job from a producer that does not trace). */
  private parentOf(record: JobRecord): Context {
    const { api } = this;
    const remote = fromTraceContext(record.traceContext);
    if (!remote) return api.context.active();
    const spanContext = {
      traceId: remote.traceId,
      spanId: remote.spanId,
      traceFlags: remote.traceFlags,
      isRemote: true,
      traceState: remote.traceState === undefined ? undefined : api.createTraceState(remote.traceState),
    };
    return api.trace.setSpanContext(api.ROOT_CONTEXT, spanContext);
  }

  private end(span: Span, error: unknown): void {
    if (error !== undefined) {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: this.api.SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    }
    span.end();
  }
}

/** Longest progress object kept on a span event, in characters of its JSON. */
const MAX_PROGRESS_ATTRIBUTE = 1024;

function progressAttribute(value: JobProgress): number | string {
  if (typeof value === 'number') return value;
  const json = JSON.stringify(value);
  return json.length <= MAX_PROGRESS_ATTRIBUTE ? json : `${json.slice(0, MAX_PROGRESS_ATTRIBUTE)}…`;
}

import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';

/** The OpenTelemetry SDK as an app would set it up, exporting to memory: spans are read back as they end. */
export interface InMemoryTracing {
  provider: BasicTracerProvider;
  exporter: InMemorySpanExporter;
  spans(): ReadableSpan[];
  /** The span's parent span id, or undefined for a root span. */
  parentOf(span: ReadableSpan): string | undefined;
}

let contextManager: AsyncLocalStorageContextManager | null = null;

/** Async context propagation once per process (as an SDK's start does), and a provider of this test's own. */
export function inMemoryTracing(): InMemoryTracing {
  if (!contextManager) {
    contextManager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(contextManager);
  }
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  return {
    provider,
    exporter,
    spans: () => exporter.getFinishedSpans(),
    parentOf: (span) => span.parentSpanContext?.spanId,
  };
}

/** A span as the tests compare it: what it is and where it sits in its trace. */
export function spanFacts(span: ReadableSpan) {
  return {
    name: span.name,
    kind: span.kind,
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
    attributes: span.attributes,
  };
}

export { trace };

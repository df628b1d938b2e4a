import type { TraceContextCarrier } from '../../backend/job-record';

/** The parts of a span context the W3C `traceparent` header carries. */
export interface RemoteSpanContext {
  traceId: string;
  spanId: string;
  traceFlags: number;
  traceState?: string;
}

// version 00: "00-<32 hex trace id>-<16 hex span id>-<2 hex flags>"; later versions may append fields.
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const INVALID_TRACE_ID = '0'.repeat(32);
const INVALID_SPAN_ID = '0'.repeat(16);

/**
 * The job's trace context in W3C form. Written by hand rather than through the global propagator, so
 * the job carries the W3C form whatever propagator (or none) the app registered, and any language can read it.
 */
export function toTraceContext(span: RemoteSpanContext): TraceContextCarrier {
  const traceparent = `00-${span.traceId}-${span.spanId}-${(span.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
  return span.traceState ? { traceparent, tracestate: span.traceState } : { traceparent };
}

/** The span context a job carries, or null when it carries none or one that is not W3C (a foreign producer's). */
export function fromTraceContext(carrier: unknown): RemoteSpanContext | null {
  if (carrier === null || typeof carrier !== 'object') return null;
  const { traceparent, tracestate } = carrier as { traceparent?: unknown; tracestate?: unknown };
  if (typeof traceparent !== 'string') return null;
  const match = TRACEPARENT.exec(traceparent.trim().toLowerCase());
  if (!match) return null;
  const [, version, traceId, spanId, flags, rest] = match;
  if (version === 'ff' || (version === '00' && rest !== undefined)) return null;
  if (traceId === INVALID_TRACE_ID || spanId === INVALID_SPAN_ID) return null;
  return {
    traceId,
    spanId,
    traceFlags: parseInt(flags, 16),
    traceState: typeof tracestate === 'string' && tracestate.length > 0 ? tracestate : undefined,
  };
}

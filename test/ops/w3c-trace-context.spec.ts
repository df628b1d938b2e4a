import { fromTraceContext, toTraceContext } from '../../lib/observability/tracing/w3c-trace-context';
import { hooksOf, NO_HOOKS } from '../../lib/observability/instrumentation-hooks';
import type { JobInstrumentation, JobRecord } from '../../lib';

/** The trace context a job carries is W3C's, read back strictly: a foreign or broken one is ignored, never thrown. */
describe('W3C trace context in a job', () => {
  const span = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1 };

  it('is written as traceparent (and tracestate when there is one) and read back', () => {
    expect(toTraceContext(span)).toEqual({ traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' });
    const carried = toTraceContext({ ...span, traceState: 'vendor=a' });
    expect(carried.tracestate).toBe('vendor=a');
    expect(fromTraceContext(carried)).toEqual({ ...span, traceState: 'vendor=a' });
  });

  it.each([
    ['no carrier', undefined],
    ['not an object', 'traceparent'],
    ['no traceparent', { tracestate: 'a=b' }],
    ['a malformed traceparent', { traceparent: '00-xyz-00f067aa0ba902b7-01' }],
    ['an all-zero trace id', { traceparent: '00-00000000000000000000000000000000-00f067aa0ba902b7-01' }],
    ['an all-zero span id', { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01' }],
    ['the forbidden version ff', { traceparent: 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' }],
    ['version 00 with extra fields', { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra' }],
  ])('%s reads as none', (_what, carrier) => {
    expect(fromTraceContext(carrier)).toBeNull();
  });

  it('a later version with extra fields is read for the fields it shares', () => {
    expect(fromTraceContext({ traceparent: '01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-more' })).toEqual({
      ...span,
      traceState: undefined,
    });
  });
});

describe('instrumentation hooks', () => {
  const record = { id: 'j1' } as JobRecord;

  it('without instrumentation are the shared do-nothing hooks, whose run scope just calls the handler', () => {
    expect(hooksOf([])).toBe(NO_HOOKS);
    const scope = NO_HOOKS.running('q', record);
    expect(scope.within((job: string, context: number) => `${job}:${context}`, 'a', 1)).toBe('a:1');
    expect(NO_HOOKS.running('q', record)).toBe(scope);
  });

  it("run every instrumentation's scope, the first outermost, and end each with the attempt's error", () => {
    const seen: string[] = [];
    const named = (name: string): JobInstrumentation => ({
      running: () => ({
        within: (run, job, context) => {
          seen.push(`${name} in`);
          try {
            return run(job, context);
          } finally {
            seen.push(`${name} out`);
          }
        },
        end: (error) => void seen.push(`${name} end ${String((error as Error | undefined)?.message)}`),
      }),
    });
    const hooks = hooksOf([named('a'), named('b'), {}]);
    const scope = hooks.running('q', record);
    expect(scope.within((job: string) => (seen.push(`run ${job}`), 7), 'j', null)).toBe(7);
    scope.end(new Error('boom'));
    expect(seen).toEqual(['a in', 'b in', 'run j', 'b out', 'a out', 'a end boom', 'b end boom']);
  });
});

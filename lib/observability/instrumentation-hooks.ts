import type { PublishItem } from '../backend/job-backend.interface';
import type { JobRecord } from '../backend/job-record';
import type { JobInstrumentation, RunScope } from './job-instrumentation';

/**
 * Every hook of the instrumentation an orchestrator was given, combined into one object chosen once at
 * construction. Without instrumentation it is NO_HOOKS, whose calls do nothing and allocate nothing:
 * the hot path then pays a call to an empty function, not a branch per optional feature.
 */
export interface InstrumentationHooks {
  readonly active: boolean;
  publishing(queue: string, items: readonly PublishItem[]): (error?: unknown) => void;
  redriven(queue: string, count: number): void;
  running(queue: string, record: JobRecord): RunScope;
}

function noop(): void {}

const NO_RUN: RunScope = Object.freeze({ within: <A, B, T>(run: (job: A, context: B) => T, job: A, context: B): T => run(job, context), end: noop });

export const NO_HOOKS: InstrumentationHooks = Object.freeze({
  active: false,
  publishing: () => noop,
  redriven: noop,
  running: () => NO_RUN,
});

/** The hooks of `list`, called in its order; NO_HOOKS for an empty list. */
export function hooksOf(list: readonly JobInstrumentation[]): InstrumentationHooks {
  if (list.length === 0) return NO_HOOKS;
  const publishers = list.filter((item) => item.publishing);
  const redrivers = list.filter((item) => item.redriven);
  const runners = list.filter((item) => item.running);
  return {
    active: true,
    publishing: (queue, items) => {
      if (publishers.length === 0) return noop;
      const ends = publishers.map((item) => item.publishing!(queue, items));
      return (error?: unknown) => ends.forEach((end) => end(error));
    },
    redriven: (queue, count) => redrivers.forEach((item) => item.redriven!(queue, count)),
    running: (queue, record) => {
      if (runners.length === 0) return NO_RUN;
      if (runners.length === 1) return runners[0].running!(queue, record);
      const scopes = runners.map((item) => item.running!(queue, record));
      return {
        // The first instrumentation's scope is the outermost.
        within: <A, B, T>(run: (job: A, context: B) => T, job: A, context: B): T =>
          scopes.reduceRight<(job: A, context: B) => T>((inner, scope) => (j, c) => scope.within(inner, j, c), run)(job, context),
        end: (error?: unknown) => scopes.forEach((scope) => scope.end(error)),
      };
    },
  };
}

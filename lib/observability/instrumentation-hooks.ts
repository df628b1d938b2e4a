import type { PublishItem } from '../backend/job-backend.interface';
import type { JobRecord } from '../backend/job-record';
import type { JobProgress } from '../backend/job-state';
import { Logger } from '../logger/logger';
import type { JobInstrumentation, RunScope } from './job-instrumentation';

/**
 * Every hook of the instrumentation an orchestrator was given, combined into one object chosen once at
 * construction. Without instrumentation it is NO_HOOKS, whose calls do nothing and allocate nothing:
 * the hot path then pays a call to an empty function, not a branch per optional feature.
 *
 * A hook that throws is logged and otherwise ignored: observing a job must never change what becomes
 * of it (a publish the backend accepted resolves, a run's outcome is settled as it came out).
 */
export interface InstrumentationHooks {
  readonly active: boolean;
  publishing(queue: string, items: readonly PublishItem[]): (error?: unknown, duplicate?: boolean) => void;
  redriven(queue: string, count: number): void;
  running(queue: string, record: JobRecord): RunScope;
}

function noop(): void {}

const NO_RUN: RunScope = Object.freeze({
  within: <A, B, T>(run: (job: A, context: B) => T, job: A, context: B): T => run(job, context),
  end: noop,
});

export const NO_HOOKS: InstrumentationHooks = Object.freeze({
  active: false,
  publishing: () => noop,
  redriven: noop,
  running: () => NO_RUN,
});

const logger = new Logger('JobInstrumentation');

/** The hooks of `list`, called in its order, each guarded; NO_HOOKS for an empty list. */
export function hooksOf(list: readonly JobInstrumentation[]): InstrumentationHooks {
  if (list.length === 0) return NO_HOOKS;
  const publishers = list.filter((item) => item.publishing);
  const redrivers = list.filter((item) => item.redriven);
  const runners = list.filter((item) => item.running);
  return {
    active: true,
    publishing: (queue, items) => {
      if (publishers.length === 0) return noop;
      const ends = publishers.map((item) => guarded(item, 'publishing', queue, () => item.publishing!(queue, items)) ?? noop);
      return (error?: unknown, duplicate?: boolean) =>
        ends.forEach((end, i) => guarded(publishers[i], 'published', queue, () => end(error, duplicate)));
    },
    redriven: (queue, count) => redrivers.forEach((item) => guarded(item, 'redriven', queue, () => item.redriven!(queue, count))),
    running: (queue, record) => {
      if (runners.length === 0) return NO_RUN;
      const scopes = runners.map((item) =>
        guardedScope(item, queue, guarded(item, 'running', queue, () => item.running!(queue, record)) ?? NO_RUN),
      );
      if (scopes.length === 1) return scopes[0];
      return {
        // The first instrumentation's scope is the outermost.
        within: <A, B, T>(run: (job: A, context: B) => T, job: A, context: B): T =>
          scopes.reduceRight<(job: A, context: B) => T>((inner, scope) => (j, c) => scope.within(inner, j, c), run)(job, context),
        end: (error?: unknown) => scopes.forEach((scope) => scope.end(error)),
        progress: (value: JobProgress) => scopes.forEach((scope) => scope.progress?.(value)),
      };
    },
  };
}

/** Calls one hook; if it throws, logs which one and returns undefined. */
function guarded<T>(item: JobInstrumentation, hook: string, queue: string, call: () => T): T | undefined {
  try {
    return call();
  } catch (error) {
    report(item, hook, queue, error);
    return undefined;
  }
}

/**
 * A run scope whose own failures are logged, not taken for the run's. `within` tells the handler's
 * throw (rethrown: it fails the attempt) from the scope's (logged; the handler is run, or its result kept).
 */
function guardedScope(item: JobInstrumentation, queue: string, scope: RunScope): RunScope {
  if (scope === NO_RUN) return NO_RUN;
  return {
    within: <A, B, T>(run: (job: A, context: B) => T, job: A, context: B): T => {
      let ran = false;
      let returned = false;
      let result: T | undefined;
      try {
        return scope.within(
          (j: A, c: B) => {
            ran = true;
            result = run(j, c);
            returned = true;
            return result;
          },
          job,
          context,
        );
      } catch (error) {
        if (ran && !returned) throw error;
        // Thrown before the handler ran, or after it returned: the scope's own failure.
        report(item, 'running (within)', queue, error);
        return returned ? (result as T) : run(job, context);
      }
    },
    end: (error?: unknown) => guarded(item, 'running (end)', queue, () => scope.end(error)),
    progress: scope.progress && ((value: JobProgress) => guarded(item, 'running (progress)', queue, () => scope.progress!(value))),
  };
}

function report(item: JobInstrumentation, hook: string, queue: string, error: unknown): void {
  const name = item.constructor?.name && item.constructor !== Object ? item.constructor.name : 'an instrumentation';
  const why = error instanceof Error ? error.message : String(error);
  logger.error(`the ${hook} hook of ${name} threw on queue "${queue}": ${why} — the job is unaffected; fix the instrumentation`);
}

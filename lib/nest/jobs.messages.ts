import { JOB_EVENT_TYPES } from '../orchestrator/job-events';

/** The messages the Nest layer fails bootstrap (or warns) with, in one place. */
export const JobsMessages = {
  noRunMethod: (cls: string, queue: string) =>
    `${cls} is decorated @Consumer('${queue}') but has no @Run() method — decorate the method that processes a job with @Run()`,
  twoRunMethods: (cls: string, methods: string[]) =>
    `${cls} has ${methods.length} @Run() methods (${methods.join(', ')}) — a consumer has exactly one`,
  queueMismatch: (cls: string, decorated: string, constructed: string) =>
    `${cls} is decorated @Consumer('${decorated}') but its constructor calls super('${constructed}') — name one queue ` +
    `(or call super() without a queue to take the decorator's)`,
  notStatic: (cls: string, scope: 'request-scoped' | 'transient') =>
    `${cls} is a @Consumer but is ${scope}${scope === 'request-scoped' ? ' (or depends on a request-scoped provider)' : ''} — ` +
    `consumers must be singletons: remove the scope (and inject request-scoped services through ModuleRef.resolve in @Run)`,
  unknownEvent: (cls: string, method: string, type: string) =>
    `${cls}.${method} is decorated @OnJobEvent('${type}'), which is not a job event — use one of: ${JOB_EVENT_TYPES.join(', ')}`,
  noSchema: (queue: string) =>
    `No schema is registered or named "${queue}" in this app: a payload reaches @Run unvalidated unless this process created the JobSchema its job names — add the schema to JobsModule.forRoot({ schemas })`,
  scheduleWithoutConsumer: (cls: string) =>
    `${cls} is decorated @Schedule but not @Consumer(queue) — a schedule's queue is its consumer's: add @Consumer, or declare it in JobsModule.forRoot({ schedules: [{ queue, key, … }] })`,
  scheduleRefused: (key: string, queue: string, declaredBy: string, err: unknown) =>
    `Schedule "${key}" of "${queue}" (${declaredBy}) was refused: ${err instanceof Error ? err.message : String(err)}`,
  loopEnded: (cls: string, queue: string, err: unknown) =>
    `${cls} stopped consuming "${queue}": ${err instanceof Error ? err.message : String(err)}`,
};

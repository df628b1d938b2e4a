/** The messages the Nest layer fails bootstrap with, in one place. */
export const JobsMessages = {
  noRunMethod: (cls: string, queue: string) =>
    `${cls} is decorated @Consumer('${queue}') but has no @Run() method — decorate the method that processes a job with @Run()`,
  twoRunMethods: (cls: string, methods: string[]) =>
    `${cls} has ${methods.length} @Run() methods (${methods.join(', ')}) — a consumer has exactly one`,
  queueMismatch: (cls: string, decorated: string, constructed: string) =>
    `${cls} is decorated @Consumer('${decorated}') but its constructor calls super('${constructed}') — name one queue`,
  notStatic: (cls: string) =>
    `${cls} is a @Consumer but is request-scoped (or depends on a request-scoped provider) — consumers must be singletons`,
  noSchema: (queue: string) =>
    `No schema is registered for queue "${queue}" in this app: its payloads reach @Run unvalidated — add the schema to JobsModule.forRoot({ schemas })`,
  loopEnded: (cls: string, queue: string, err: unknown) =>
    `${cls} stopped consuming "${queue}": ${err instanceof Error ? err.message : String(err)}`,
};

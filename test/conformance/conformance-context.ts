import { randomUUID } from 'node:crypto';
import type { BackendCapabilities, JobBackend, RetentionOptions } from '../../lib';
import { Orchestrator } from '../../lib';

/** What a case may ask of the backend it gets, beyond the defaults. */
export interface BackendSettings {
  retention?: RetentionOptions;
}

/** How the conformance suite gets a backend; each backend's spec file supplies one. */
export interface BackendFactory {
  /** Shown in the describe() title. */
  name: string;
  /**
   * What the backends `create` makes declare, known without connecting (build a client that is never
   * used, see capabilitiesOf): the suite decides when it is defined which cases apply, so a case a
   * backend cannot do is reported as skipped, with the reason, never as passed.
   */
  capabilities: BackendCapabilities;
  /** A fresh client, with `settings` applied. For a shared broker, namespace it (prefix, vhost) so runs cannot collide. */
  create(settings?: BackendSettings): JobBackend | Promise<JobBackend>;
}

/** What each group of conformance cases gets: a fresh orchestrator per test and unique queue names. */
export interface ConformanceContext {
  factory: BackendFactory;
  /** `factory.capabilities`, for deciding at describe time which cases run (see itIf). */
  capabilities: BackendCapabilities;
  /** The orchestrator of the running test (over a backend created for it). */
  orchestrator(): Orchestrator;
  /** Another orchestrator over another client of the same backend, as a second process would have. */
  secondOrchestrator(): Promise<Orchestrator>;
  /** An orchestrator of its own over a client built with `settings` (retention…); closed after the test. */
  orchestratorWith(settings: BackendSettings): Promise<Orchestrator>;
  /** A queue name no other test (or run) uses. */
  queueName(label?: string): string;
}

/** The capabilities a backend declares, read off a client that is closed again without being used. */
export function capabilitiesOf(unused: JobBackend): BackendCapabilities {
  const capabilities = { ...unused.capabilities };
  void unused.close();
  return capabilities;
}

type CaseFn = (title: string, fn: () => Promise<unknown>, timeout?: number) => void;

/**
 * `it` when `condition` holds, else `it.skip` with `reason` in the title: a case whose capability the
 * backend lacks shows up as skipped (and why) in jest's report instead of passing without checking.
 */
export function itIf(condition: boolean, reason: string): CaseFn {
  if (condition) return (title, fn, timeout) => it(title, fn, timeout);
  return (title, fn, timeout) => it.skip(`${title} [skipped: ${reason}]`, fn, timeout);
}

/** Registers beforeEach/afterEach hooks that make and close the orchestrators; call inside describe(). */
export function conformanceContext(factory: BackendFactory): ConformanceContext {
  let current: Orchestrator | null = null;
  const extra: Orchestrator[] = [];
  const run = randomUUID().slice(0, 8);
  let counter = 0;

  beforeEach(async () => {
    current = new Orchestrator(await factory.create());
  });
  afterEach(async () => {
    await Promise.all([current, ...extra.splice(0)].map((o) => o?.close()));
    current = null;
  });

  const another = async (settings?: BackendSettings): Promise<Orchestrator> => {
    const orchestrator = new Orchestrator(await factory.create(settings));
    extra.push(orchestrator);
    return orchestrator;
  };

  return {
    factory,
    capabilities: factory.capabilities,
    orchestrator: () => {
      if (!current) throw new Error('orchestrator() is only available inside a test');
      return current;
    },
    secondOrchestrator: () => another(),
    orchestratorWith: (settings) => another(settings),
    queueName: (label = 'q') => `conf-${run}-${label}-${++counter}`,
  };
}

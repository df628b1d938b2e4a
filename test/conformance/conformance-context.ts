import { randomUUID } from 'node:crypto';
import type { JobBackend } from '../../lib';
import { Orchestrator } from '../../lib';

/** How the conformance suite gets a backend; each backend's spec file supplies one. */
export interface BackendFactory {
  /** Shown in the describe() title. */
  name: string;
  /** A fresh client. For a shared broker, namespace it (prefix, vhost) so runs cannot collide. */
  create(): JobBackend | Promise<JobBackend>;
}

/** What each group of conformance cases gets: a fresh orchestrator per test and unique queue names. */
export interface ConformanceContext {
  factory: BackendFactory;
  /** The orchestrator of the running test (over a backend created for it). */
  orchestrator(): Orchestrator;
  /** Another orchestrator over another client of the same backend, as a second process would have. */
  secondOrchestrator(): Promise<Orchestrator>;
  /** A queue name no other test (or run) uses. */
  queueName(label?: string): string;
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

  return {
    factory,
    orchestrator: () => {
      if (!current) throw new Error('orchestrator() is only available inside a test');
      return current;
    },
    secondOrchestrator: async () => {
      const second = new Orchestrator(await factory.create());
      extra.push(second);
      return second;
    },
    queueName: (label = 'q') => `conf-${run}-${label}-${++counter}`,
  };
}

import { conformanceContext, type BackendFactory } from './conformance-context';
import { queueCases } from './queue.cases';
import { consumerCases } from './consumer.cases';
import { lifecycleCases } from './lifecycle.cases';

/**
 * The one backend-agnostic suite every backend must pass, unchanged. Cases read
 * `backend.capabilities` for what a backend declares it cannot do; nothing here names a backend.
 */
export function describeConformance(factory: BackendFactory): void {
  describe(`${factory.name} conformance`, () => {
    const ctx = conformanceContext(factory);
    describe('queues', () => queueCases(ctx));
    describe('consumers', () => consumerCases(ctx));
    describe('job lifecycle', () => lifecycleCases(ctx));
  });
}

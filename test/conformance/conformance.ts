import { conformanceContext, type BackendFactory } from './conformance-context';
import { queueCases } from './queue.cases';
import { consumerCases } from './consumer.cases';
import { lifecycleCases } from './lifecycle.cases';
import { retentionCases } from './retention.cases';
import { badInputCases } from './bad-input.cases';
import { traceContextCases } from './trace-context.cases';
import { listingCases } from './listing.cases';
import { scheduleCases } from './schedules.cases';
import { pauseCases } from './pause.cases';
import { rateLimitCases } from './rate-limit.cases';
import { progressCases } from './progress.cases';
import { deduplicationCases } from './deduplication.cases';

/**
 * The one backend-agnostic suite every backend must pass, unchanged. Cases read the capabilities the
 * backend declares (`factory.capabilities`, when the suite is defined): a case needing one the backend
 * lacks is reported as skipped with the reason (itIf). Nothing here names a backend.
 */
export function describeConformance(factory: BackendFactory): void {
  describe(`${factory.name} conformance`, () => {
    const ctx = conformanceContext(factory);
    it('declares the capabilities the suite was defined with', () => {
      expect(ctx.orchestrator().backend.capabilities).toEqual(factory.capabilities);
    });
    describe('queues', () => queueCases(ctx));
    describe('consumers', () => consumerCases(ctx));
    describe('job lifecycle', () => lifecycleCases(ctx));
    describe('retention', () => retentionCases(ctx));
    describe('bad input', () => badInputCases(ctx));
    describe('trace context', () => traceContextCases(ctx));
    describe('listing', () => listingCases(ctx));
    describe('schedules', () => scheduleCases(ctx));
    describe('pause', () => pauseCases(ctx));
    describe('rate limits', () => rateLimitCases(ctx));
    describe('progress', () => progressCases(ctx));
    describe('deduplication', () => deduplicationCases(ctx));
  });
}

import type { HealthOptions, JobsHealthReport, Orchestrator } from '../../../lib';

/**
 * Asks for the orchestrator's health until `wanted` holds, and resolves with that report. The test's
 * hang guard bounds it: what is asserted is the report reached, never how long it took.
 */
export async function healthWhen(
  orchestrator: Orchestrator,
  wanted: (report: JobsHealthReport) => boolean,
  options: HealthOptions = {},
): Promise<JobsHealthReport> {
  for (;;) {
    const report = await orchestrator.health(options);
    if (wanted(report)) return report;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

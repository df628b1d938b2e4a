import { consumeScenario } from './consume.scenario';
import { pipelineScenario } from './pipeline.scenario';
import { publishScenario } from './publish.scenario';
import { roundTripScenario } from './round-trip.scenario';
import type { Scenario } from './scenario.interface';
import type { ScenarioName } from './scenario-names';

export * from './measurement';
export * from './scenario.interface';
export * from './scenario-names';

export const SCENARIOS: Record<ScenarioName, Scenario> = {
  'round-trip': roundTripScenario,
  publish: publishScenario,
  consume: consumeScenario,
  pipeline: pipelineScenario,
};

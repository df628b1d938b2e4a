/** The four scenarios of issue 6, in the order they run and are reported. */
export const SCENARIO_NAMES = ['round-trip', 'publish', 'consume', 'pipeline'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

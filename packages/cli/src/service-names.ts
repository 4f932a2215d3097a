/** The services `signalbox run` can start; kept apart from their code so the CLI loads that only when it runs them. */
export const serviceNames = ['session-actor', 'tool-executor', 'permission-broker', 'supervisor', 'grader', 'retention-sweeper', 'memory-consolidator', 'gateway'] as const;
export type ServiceName = (typeof serviceNames)[number];

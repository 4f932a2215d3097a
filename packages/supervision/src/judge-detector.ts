import { defineDetector, type Suspicion } from './detector.ts';

/** How many of the events a verdict points at an intervention carries, after the verdict's own. */
const maxPointedAt = 19;

/**
 * The judge's findings: a `supervisor.judged` whose verdict is off track, recorded by the actor after
 * the supervisor's model call (judge-schedule.ts says when that is made). Its first evidence is the
 * judgement's own event, so each off-track verdict is a finding of its own, and the ladder climbs as
 * they recur after the interventions they bring; then the events the judge pointed at. Its settings
 * are the agent's `supervision.judge`; without a judge nothing is ever judged and it stays quiet.
 */
export const judge = defineDetector<Suspicion | undefined, object>({
  name: 'judge',
  action: 'nudge',
  initial: () => undefined,
  evolve(state, event) {
    if (event.type !== 'supervisor.judged') return state;
    const { verdict, reason, evidence, upTo } = event.data;
    if (verdict !== 'off_track') return undefined;
    const pointedAt = [...new Set(evidence.filter((n) => n <= upTo))].sort((a, b) => a - b).slice(0, maxPointedAt);
    return { reason: `A reviewer who read the session so far finds it off track: ${reason}`, evidence: [event.n, ...pointedAt] };
  },
  check: (state) => state,
});

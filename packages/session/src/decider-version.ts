/**
 * The version of the decision rules new sessions are created under. A session's `session.created`
 * records it and its state keeps it, so a session is decided by the rules it started with for as
 * long as it runs, and `checkHistory` replays it under them: a change in how sessions decide reaches
 * only sessions created after it.
 *
 * To change a rule: raise this to 2, and where the rule changes branch on `state.deciderVersion >= 2`,
 * keeping the old path as it was (the recorded histories in test/fixtures/ still replay through it).
 * That is the one thing a decision branches on for a change; add a spec that a version-1 session
 * still decides the old way, and record a history under version 2 (test/fixtures/record-histories.ts).
 */
export const deciderVersion = 1;

import { describe, expect, it } from 'vitest';
import { naming } from './naming.ts';

describe('inbox subjects', () => {
  const { subjects } = naming('sbx');

  it("keep a session's public inbox apart from its actors' own", () => {
    expect(subjects.inbox('s1')).toBe('sbx.inbox.s1');
    expect(subjects.actorInbox('s1', 'actor-a')).toBe('sbx.inbox.s1.actor-a');
    expect(subjects.sessionInboxes).toBe('sbx.inbox.*');
    expect(subjects.actorInboxes('actor-a')).toBe('sbx.inbox.*.actor-a');
  });

  it('name the session a message on either is for', () => {
    expect(subjects.sessionOfInbox('sbx.inbox.s1')).toBe('s1');
    expect(subjects.sessionOfInbox('sbx.inbox.s1.actor-a')).toBe('s1');
    expect(subjects.sessionOfInbox('sbx.jobs.tool.x')).toBeUndefined();
  });

  it("name the actor whose own inbox a subject is", () => {
    expect(subjects.actorOfInbox('sbx.inbox.s1.actor-a')).toBe('actor-a');
    expect(subjects.actorOfInbox('sbx.inbox.s1')).toBeUndefined();
  });

  it('keep answers to approvals on a subject of their own, which is no actor’s', () => {
    expect(subjects.approvals('s1')).toBe('sbx.inbox.s1.approvals');
    expect(subjects.allApprovals).toBe('sbx.inbox.*.approvals');
    expect(subjects.sessionOfInbox('sbx.inbox.s1.approvals')).toBe('s1');
    expect(subjects.actorOfInbox('sbx.inbox.s1.approvals')).toBeUndefined();
  });
});

describe('timer subjects', () => {
  const { streams, subjects } = naming('sbx');

  it("keep each timer's schedule, firing and cancel marker under its own token", () => {
    expect(streams.timers).toBe('SBX_TIMERS');
    expect(subjects.timerSchedule('t1')).toBe('sbx.timers.t1.at');
    expect(subjects.timerDue('t1')).toBe('sbx.timers.t1.due');
    expect(subjects.timerCancelled('t1')).toBe('sbx.timers.t1.cancelled');
    expect(subjects.timer('t1')).toBe('sbx.timers.t1.*');
    expect(subjects.allTimers).toBe('sbx.timers.>');
    expect(subjects.dueTimers).toBe('sbx.timers.*.due');
  });
});

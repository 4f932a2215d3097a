import { describe, expect, it } from 'vitest';
import { planDeletion, refusalText, sessionsMatching, unreferencedContent, type SessionFacts } from './deletion-plan.ts';

const done = (sessionId: string, more: Partial<SessionFacts> = {}): SessionFacts => ({ sessionId, root: sessionId, status: 'succeeded', agent: 'writer', updatedAt: 0, ...more });

describe('planDeletion', () => {
  it('given a completed root alone, when deleted, then it and its workspace go', () => {
    expect(planDeletion(['a'], [done('a'), done('b')], false)).toEqual({ kind: 'delete', sessions: [{ sessionId: 'a', root: 'a', deletesWorkspace: true }] });
  });

  it('given a subagent, when deleted alone, then its run keeps the workspace it shares with its root', () => {
    const plan = planDeletion(['child'], [done('root'), done('child', { root: 'root', parent: 'root' })], false);
    expect(plan).toEqual({ kind: 'delete', sessions: [{ sessionId: 'child', root: 'root', deletesWorkspace: false }] });
  });

  it('given a session with a fork and a subagent, when deleted without cascade, then it is refused naming both', () => {
    const known = [done('a'), done('f', { forkedFrom: 'a' }), done('c', { root: 'a', parent: 'a' })];
    const plan = planDeletion(['a'], known, false);
    expect(plan).toEqual({ kind: 'refused', refusals: [{ reason: 'has-dependents', sessionId: 'a', forks: ['f'], children: ['c'] }] });
    if (plan.kind === 'refused') expect(refusalText(plan.refusals[0]!)).toBe('a has forks f and subagents c: delete them first, or add --cascade to delete them too');
  });

  it('given a tree, when deleted with cascade, then every session below goes first and each once', () => {
    const known = [done('a'), done('f', { forkedFrom: 'a' }), done('ff', { forkedFrom: 'f' }), done('c', { root: 'a', parent: 'a' }), done('other')];
    const plan = planDeletion(['a', 'f'], known, true);
    if (plan.kind !== 'delete') throw new Error('expected a deletion');
    const order = plan.sessions.map(({ sessionId }) => sessionId);
    expect(order.sort()).toEqual(['a', 'c', 'f', 'ff']);
    const position = (id: string) => plan.sessions.findIndex(({ sessionId }) => sessionId === id);
    expect(position('ff')).toBeLessThan(position('f'));
    expect(position('f')).toBeLessThan(position('a'));
    expect(position('c')).toBeLessThan(position('a'));
  });

  it('given a session and its fork both named, when deleted without cascade, then the fork goes first', () => {
    const plan = planDeletion(['a', 'f'], [done('a'), done('f', { forkedFrom: 'a' })], false);
    expect(plan.kind === 'delete' && plan.sessions.map(({ sessionId }) => sessionId)).toEqual(['f', 'a']);
  });

  it('given a running or paused session, when deleted, then it is refused until aborted', () => {
    const plan = planDeletion(['r', 'p'], [done('r', { status: 'running' }), done('p', { status: 'paused' })], false);
    if (plan.kind === 'refused') expect(refusalText(plan.refusals[1]!)).toBe('p is paused: only a completed session can be deleted (wait for it to end, close it (signalbox close), or have it aborted)');
    expect(plan).toEqual({
      kind: 'refused',
      refusals: [
        { reason: 'not-completed', sessionId: 'r', status: 'running' },
        { reason: 'not-completed', sessionId: 'p', status: 'paused' },
      ],
    });
  });

  it('given cascade over a running fork, when deleted, then the whole deletion is refused', () => {
    const plan = planDeletion(['a'], [done('a'), done('f', { forkedFrom: 'a', status: 'running' })], true);
    expect(plan).toEqual({ kind: 'refused', refusals: [{ reason: 'not-completed', sessionId: 'f', status: 'running' }] });
  });

  it.each(['*', '>', 'a.b', 'a.*', 'sbx.events.>', '', 'a b', 'x'.repeat(129)])('given the hostile id %j, when deleted, then it is refused as no id', (id) => {
    expect(planDeletion([id], [done('a')], true)).toEqual({ kind: 'refused', refusals: [{ reason: 'invalid-id', sessionId: id }] });
  });

  it('given an unknown id, when deleted, then it is refused as not found', () => {
    expect(planDeletion(['nope'], [done('a')], false)).toEqual({ kind: 'refused', refusals: [{ reason: 'not-found', sessionId: 'nope' }] });
  });

  it('given a deep chain of forks, when deleted with cascade, then it is planned without recursion', () => {
    const chain = Array.from({ length: 20_000 }, (_, i) => done(`s${i}`, i === 0 ? {} : { forkedFrom: `s${i - 1}` }));
    const plan = planDeletion(['s0'], chain, true);
    expect(plan.kind === 'delete' && plan.sessions[0]?.sessionId).toBe('s19999');
  });
});

describe('sessionsMatching', () => {
  const known = [done('a', { metadata: { team: 'x', env: 'ci' } }), done('b', { metadata: { team: 'x' } }), done('c')];

  it('given a filter, when matched, then sessions holding every pair are chosen', () => {
    expect(sessionsMatching(known, { team: 'x' })).toEqual(['a', 'b']);
    expect(sessionsMatching(known, { team: 'x', env: 'ci' })).toEqual(['a']);
  });

  it("given a filter on an object's inherited property, when matched, then nothing is chosen", () => {
    expect(sessionsMatching(known, { constructor: 'function Object() { [native code] }' })).toEqual([]);
    expect(sessionsMatching(known, { toString: 'x' })).toEqual([]);
  });

  it('given an empty filter, when matched, then nothing is chosen', () => {
    expect(sessionsMatching(known, {})).toEqual([]);
  });
});

describe('unreferencedContent', () => {
  it('given content another session still refers to, when one holder is deleted, then it is kept', () => {
    const holders = new Map([
      ['shared', ['a', 'b']],
      ['own', ['a']],
    ]);
    expect(unreferencedContent(['shared', 'own'], holders, 'a', new Set(['a']))).toEqual(['own']);
  });

  it('given both holders deleted together, when planned, then the content goes', () => {
    expect(unreferencedContent(['shared', 'shared'], new Map([['shared', ['a', 'b']]]), 'a', new Set(['a', 'b']))).toEqual(['shared']);
  });

  it('given content stored before references were recorded (the holder has none), then it is kept', () => {
    expect(unreferencedContent(['legacy'], new Map([['legacy', []]]), 'a', new Set(['a']))).toEqual([]);
  });
});

import type { SessionEvent } from '@signalbox/events';
import type { EventReader } from '@signalbox/store';
import { describe, expect, it } from 'vitest';
import { WorkspaceViews } from './workspace-views.ts';

/** A log reader holding `origin` (which wrote revision 3 at its event 2) and `fork`, forked from it at event 2; it counts the first events it is asked for. */
function logs() {
  const asked: string[] = [];
  const created = (sessionId: string, forkedFrom?: { sessionId: string; n: number }) =>
    ({ type: 'session.created', sessionId, correlationId: sessionId, n: 1, data: forkedFrom ? { forkedFrom } : {} }) as unknown as SessionEvent;
  const wrote = { type: 'tool.completed', sessionId: 'origin', correlationId: 'origin', n: 2, data: { workspaceRevision: 3 } } as unknown as SessionEvent;
  const reader = {
    first: async (sessionId: string) => (asked.push(sessionId), sessionId === 'fork' ? created('fork', { sessionId: 'origin', n: 2 }) : created(sessionId)),
    read: async (sessionId: string) => (sessionId === 'origin' ? [created('origin'), wrote] : [created(sessionId)]),
  } as unknown as EventReader;
  return { reader, asked };
}

describe('WorkspaceViews', () => {
  it("reads a run's first event once to learn whether it is a fork, and a fork sees its origin's writes", async () => {
    const { reader, asked } = logs();
    const views = new WorkspaceViews(reader);
    expect(await views.of('fork')).toEqual([{ root: 'fork' }, { root: 'origin', upTo: 3 }]);
    await views.of('fork');
    expect(asked).toEqual(['fork']);
  });

  it('reads nothing for a run a session actor here says is not a fork, and sees its own writes only', async () => {
    const { reader, asked } = logs();
    const views = new WorkspaceViews(reader);
    views.unforked('plain');
    expect(await views.of('plain')).toEqual([{ root: 'plain' }]);
    expect(asked).toEqual([]);
  });

  it('keeps a view it read over what it is told afterwards', async () => {
    const { reader } = logs();
    const views = new WorkspaceViews(reader);
    const read = await views.of('fork');
    views.unforked('fork');
    expect(await views.of('fork')).toBe(read);
  });
});

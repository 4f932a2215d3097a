import { describe, expect, it } from 'vitest';
import type { InboxCommand } from '@signalbox/events';
import { conversationRefusal } from './conversation-refusal.ts';

const message: InboxCommand = { type: 'user.message', sessionId: 's1', by: 'cli:ann', text: 'hello' };
const interrupt: InboxCommand = { type: 'interrupt', sessionId: 's1', by: 'cli:ann', reason: '', interruptId: 'i1' };

describe('conversationRefusal', () => {
  it('refuses a message, an interrupt or a close of a session created before conversations, naming the versions', () => {
    expect(conversationRefusal(message, { sessionId: 's1', deciderVersion: 8, status: 'idle' })).toBe(
      'session s1 was created under decider version 8, which takes no messages (9 on does); it is unchanged',
    );
    expect(conversationRefusal(interrupt, { sessionId: 's1', deciderVersion: 8, status: 'awaiting_model' })).toMatch(/takes no interrupts \(9 on does\)/);
  });

  it('refuses a message to a session that has ended, but not an interrupt of it', () => {
    expect(conversationRefusal(message, { sessionId: 's1', deciderVersion: 9, status: 'completed' })).toMatch(/^session s1 has ended/);
    expect(conversationRefusal(interrupt, { sessionId: 's1', deciderVersion: 9, status: 'completed' })).toBeUndefined();
  });

  it('takes a message to an idle or running session, and says nothing of other commands', () => {
    expect(conversationRefusal(message, { sessionId: 's1', deciderVersion: 9, status: 'idle' })).toBeUndefined();
    expect(conversationRefusal(message, { sessionId: 's1', deciderVersion: 9, status: 'awaiting_tools' })).toBeUndefined();
    expect(conversationRefusal({ type: 'pause', sessionId: 's1', by: 'x', reason: '' }, { sessionId: 's1', deciderVersion: 1, status: 'idle' })).toBeUndefined();
  });
});

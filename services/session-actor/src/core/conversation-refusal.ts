import type { InboxCommand } from '@signalbox/events';
import { conversationsFrom, type ActiveState } from '@signalbox/session';

/**
 * Why a message, interrupt or close is kept unapplied: the session was created before conversations,
 * or a message came after it ended (an interrupt or close of an ended session does nothing, as asked).
 */
export function conversationRefusal(command: InboxCommand, state: Pick<ActiveState, 'sessionId' | 'deciderVersion' | 'status'>): string | undefined {
  if (command.type !== 'user.message' && command.type !== 'interrupt' && command.type !== 'close' && command.type !== 'signal') return undefined;
  if (state.deciderVersion < conversationsFrom) {
    return `session ${state.sessionId} was created under decider version ${state.deciderVersion}, which takes no ${command.type === 'user.message' ? 'messages' : `${command.type}s`} (${conversationsFrom} on does); it is unchanged`;
  }
  if ((command.type === 'user.message' || command.type === 'signal') && state.status === 'completed') return `session ${state.sessionId} has ended: it takes no more ${command.type === 'signal' ? 'signals' : 'messages'} (start a new session, or fork this one)`;
  return undefined;
}

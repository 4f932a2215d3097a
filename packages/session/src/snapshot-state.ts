import type { AppendOnlyList } from './append-only-list.ts';
import { packedNumbers, unpackedNumbers } from './packed-numbers.ts';
import type { SessionState } from './state.ts';

/**
 * A session's state as its snapshot stores it: the conversation's `assistantAt` and `charsBeforeReplies`
 * packed (`packedNumbers`), the rest as it is. They hold two numbers a reply for the whole session:
 * as msgpack numbers they made a resume after 2,000 steps read and scan 24 KB more than after 200
 * (NOTES, #25 twenty-fifth sitting); packed, about a byte or two each.
 */
export function storedSnapshotState(state: SessionState): unknown {
  if (state.status === 'new') return state;
  const { conversation } = state;
  const assistantAt = packedNumbers(conversation.assistantAt) ?? conversation.assistantAt;
  const charsBeforeReplies = packedNumbers(conversation.charsBeforeReplies) ?? conversation.charsBeforeReplies;
  return { ...state, conversation: { ...conversation, assistantAt, charsBeforeReplies } };
}

/** The state `storedSnapshotState` stored (a list it could not pack is there as it was). */
export function snapshotState(stored: unknown): SessionState {
  const state = stored as SessionState;
  if (state.status === 'new') return state;
  const { conversation } = state;
  return { ...state, conversation: { ...conversation, assistantAt: unpackedOr(conversation.assistantAt), charsBeforeReplies: unpackedOr(conversation.charsBeforeReplies) } };
}

function unpackedOr(list: AppendOnlyList<number> | Uint8Array): AppendOnlyList<number> {
  return list instanceof Uint8Array ? unpackedNumbers(list) : list;
}

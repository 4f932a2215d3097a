import type { AppendOnlyList } from './append-only-list.ts';
import { packedNumbers, unpackedNumbers } from './packed-numbers.ts';
import type { SessionState } from './state.ts';

/**
 * A session's state as its snapshot stores it: the conversation's `charsBefore` and `assistantAt`
 * packed (`packedNumbers`), the rest as it is. They hold a number a message and a number a reply for
 * the whole session: 6,000 msgpack numbers after 2,000 steps, which made a resume read and scan 24 KB
 * more than after 200 (NOTES, #25 twenty-fifth sitting); packed, about a byte or two each.
 */
export function storedSnapshotState(state: SessionState): unknown {
  if (state.status === 'new') return state;
  const { conversation } = state;
  const charsBefore = packedNumbers(conversation.charsBefore) ?? conversation.charsBefore;
  const assistantAt = packedNumbers(conversation.assistantAt) ?? conversation.assistantAt;
  return { ...state, conversation: { ...conversation, charsBefore, assistantAt } };
}

/** The state `storedSnapshotState` stored (a list it could not pack is there as it was). */
export function snapshotState(stored: unknown): SessionState {
  const state = stored as SessionState;
  if (state.status === 'new') return state;
  const { conversation } = state;
  return { ...state, conversation: { ...conversation, charsBefore: unpackedOr(conversation.charsBefore), assistantAt: unpackedOr(conversation.assistantAt) } };
}

function unpackedOr(list: AppendOnlyList<number> | Uint8Array): AppendOnlyList<number> {
  return list instanceof Uint8Array ? unpackedNumbers(list) : list;
}

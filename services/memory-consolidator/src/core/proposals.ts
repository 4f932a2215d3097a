import { assertNever, type MemoryChange, type MemoryStoreDefinition } from '@signalbox/events';

/** One version to propose, and whether the consolidator promotes it itself. */
export interface Proposal {
  changes: MemoryChange[];
  promote: boolean;
}

/** Who promotes what the consolidator promotes: the store's `promotion: auto`. */
export const autoPromoter = 'consolidator:auto';

/**
 * The versions a consolidation proposes. Under `auto`, the clean changes in one version it promotes,
 * and the held ones in another that waits for a person; under `review`, one version with everything,
 * for a person. Clean first: a crash between the two proposals loses the held one, never the reverse.
 */
export function proposalsOf(changes: readonly MemoryChange[], promotion: MemoryStoreDefinition['promotion']): Proposal[] {
  switch (promotion) {
    case 'review':
      return changes.length === 0 ? [] : [{ changes: [...changes], promote: false }];
    case 'auto': {
      const clean = changes.filter((change) => change.held === undefined);
      const held = changes.filter((change) => change.held !== undefined);
      return [...(clean.length > 0 ? [{ changes: clean, promote: true }] : []), ...(held.length > 0 ? [{ changes: held, promote: false }] : [])];
    }
    default:
      return assertNever(promotion);
  }
}

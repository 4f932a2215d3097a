import type { SessionEvent } from '@signalbox/events';
import type { SessionDeletion } from './deletion-plan.ts';

/** One session being deleted: what the plan says of it, its whole log (read before anything goes), and every session the same deletion removes. */
export interface DeletionTarget extends SessionDeletion {
  events: readonly SessionEvent[];
  deleting: ReadonlySet<string>;
}

/**
 * What one store removes of a session. It must be idempotent: a deletion that failed or crashed
 * midway runs every hook again, and the session's log stays until every hook has succeeded.
 */
export interface DeletionHook {
  /** Names the hook in a deletion's report: `tool-outputs`, `memory`. */
  name: string;
  deleteSession(target: DeletionTarget): Promise<void>;
}

/** The hooks a deletion runs for each session, in the order registered (the built-in stores' first). */
export class DeletionHooks {
  readonly #hooks: DeletionHook[] = [];

  constructor(hooks: readonly DeletionHook[] = []) {
    for (const hook of hooks) this.register(hook);
  }

  /** Adds a store's hook; a second hook of the same name is refused, so a report names each once. */
  register(hook: DeletionHook): void {
    if (this.#hooks.some(({ name }) => name === hook.name)) throw new Error(`a deletion hook named "${hook.name}" is already registered`);
    this.#hooks.push(hook);
  }

  get all(): readonly DeletionHook[] {
    return this.#hooks;
  }
}

import { liveWorkspaceView, type EventReader, type WorkspaceView } from '@signalbox/store';

/** Runs whose views are kept: a run's view never changes, so only memory bounds it. */
const rememberedRuns = 1_000;

/**
 * Which writes each run's calls see, by the run's root session: its own, then (for a fork) its
 * origin's as of the fork point, read once from the log and kept.
 */
export class WorkspaceViews {
  readonly #reader: EventReader;
  readonly #byRoot = new Map<string, Promise<WorkspaceView>>();

  constructor(reader: EventReader) {
    this.#reader = reader;
  }

  of(root: string): Promise<WorkspaceView> {
    const known = this.#byRoot.get(root);
    if (known) return known;
    const view = liveWorkspaceView(this.#reader, root);
    // A failed read is not kept: the next call of the run reads again.
    view.catch(() => this.#byRoot.delete(root));
    return this.#remember(root, view);
  }

  /** What a session actor of this process knows: the run rooted at `root` is not a fork, so it sees its own writes only. */
  unforked(root: string): void {
    if (!this.#byRoot.has(root)) void this.#remember(root, Promise.resolve([{ root }]));
  }

  #remember(root: string, view: Promise<WorkspaceView>): Promise<WorkspaceView> {
    if (this.#byRoot.size >= rememberedRuns) this.#byRoot.delete(this.#byRoot.keys().next().value ?? '');
    this.#byRoot.set(root, view);
    return view;
  }
}

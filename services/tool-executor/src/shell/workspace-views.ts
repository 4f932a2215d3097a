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
    let view = this.#byRoot.get(root);
    if (!view) {
      view = liveWorkspaceView(this.#reader, root);
      // A failed read is not kept: the next call of the run reads again.
      view.catch(() => this.#byRoot.delete(root));
      if (this.#byRoot.size >= rememberedRuns) this.#byRoot.delete(this.#byRoot.keys().next().value ?? '');
      this.#byRoot.set(root, view);
    }
    return view;
  }
}

import { useEffect, useState } from 'preact/hooks';
import { api, segment } from '../api.ts';
import { sessionPath } from '../core/route.ts';
import { lanesOf, type LaneSpec, type RunTree } from '../core/run-tree.ts';
import { viewOf } from '../core/session-view.ts';
import { usePolledEvents } from '../live-events.ts';
import { Link } from './link.tsx';
import { Timeline } from './timeline.tsx';

/** At most this many lanes poll at once; the rest are named, each a link to its own page. */
const maxLanes = 8;

/**
 * The run's subagents at every depth, from the run tree, a lane each, side by side, each reading its own
 * session's log as it grows. The tree is read again whenever the page's session spawns or hears back
 * from a subagent (`spawnKey` changes); deeper spawns show when their lane's session ends.
 */
export function Lanes({ sessionId, spawnKey }: { sessionId: string; spawnKey: string }) {
  const [tree, setTree] = useState<RunTree>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    if (spawnKey === '') return;
    api
      .get<RunTree>(`/sessions/${segment(sessionId)}/tree`)
      .then((read) => (setTree(read), setError(undefined)))
      .catch((failure: unknown) => setError(String(failure)));
  }, [sessionId, spawnKey]);
  if (spawnKey === '') return null;
  const lanes = tree ? lanesOf(tree) : [];
  return (
    <section class="panel">
      <h2>Subagents</h2>
      {tree ? (
        <p class="muted">
          {tree.sessions} sessions in this run{tree.totals?.costUsd === undefined ? '' : `, $${tree.totals.costUsd.toFixed(4)} in all`}
        </p>
      ) : null}
      {error ? <p class="error">{error}</p> : null}
      <div class="lanes">
        {lanes.slice(0, maxLanes).map((lane) => (
          <Lane key={lane.sessionId} lane={lane} />
        ))}
      </div>
      {lanes.length > maxLanes ? (
        <p class="muted">
          and{' '}
          {lanes.slice(maxLanes).map((lane) => (
            <span key={lane.sessionId}>
              <Link href={sessionPath(lane.sessionId)}>{lane.agent}</Link>{' '}
            </span>
          ))}
        </p>
      ) : null}
    </section>
  );
}

function Lane({ lane }: { lane: LaneSpec }) {
  const { events } = usePolledEvents(lane.sessionId);
  const view = viewOf(events);
  return (
    <div class="lane" data-session={lane.sessionId} data-depth={lane.depth}>
      <h3>
        <Link href={sessionPath(lane.sessionId)}>{lane.agent}</Link> <span class={`status status-${view.status}`}>{view.status}</span>
      </h3>
      <p class="muted">
        {lane.depth > 1 ? `under ${lane.parentAgent} · ` : ''}
        {lane.sessionId} · ${view.costUsd.toFixed(4)} · {view.steps} steps
      </p>
      <Timeline events={events} compact />
    </div>
  );
}

import { sessionPath } from '../core/route.ts';
import { viewOf } from '../core/session-view.ts';
import { usePolledEvents } from '../live-events.ts';
import { Link } from './link.tsx';
import { Timeline } from './timeline.tsx';

/** The run's subagents, a lane each, side by side, each reading its own session's log as it grows. */
export function Lanes({ children }: { children: readonly { sessionId: string; agent: string }[] }) {
  if (children.length === 0) return null;
  return (
    <section class="panel">
      <h2>Subagents</h2>
      <div class="lanes">
        {children.map((child) => (
          <Lane key={child.sessionId} sessionId={child.sessionId} agent={child.agent} />
        ))}
      </div>
    </section>
  );
}

function Lane({ sessionId, agent }: { sessionId: string; agent: string }) {
  const { events } = usePolledEvents(sessionId);
  const view = viewOf(events);
  return (
    <div class="lane" data-session={sessionId}>
      <h3>
        <Link href={sessionPath(sessionId)}>{agent}</Link> <span class={`status status-${view.status}`}>{view.status}</span>
      </h3>
      <p class="muted">
        {sessionId} · ${view.costUsd.toFixed(4)} · {view.steps} steps
      </p>
      <Timeline events={events} compact />
    </div>
  );
}

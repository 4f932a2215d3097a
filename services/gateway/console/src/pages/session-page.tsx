import { useState } from 'preact/hooks';
import { api, segment } from '../api.ts';
import { clip, summarise } from '../core/events.ts';
import { diffPath, sessionPath } from '../core/route.ts';
import { viewOf, type SessionView } from '../core/session-view.ts';
import { useLiveEvents } from '../live-events.ts';
import { navigate } from '../navigation.ts';
import { Approvals } from '../parts/approvals.tsx';
import { Lanes } from '../parts/lanes.tsx';
import { Link } from '../parts/link.tsx';
import { Spend } from '../parts/spend.tsx';
import { Steer } from '../parts/steer.tsx';
import { Timeline } from '../parts/timeline.tsx';

/** One session: what it spends, what waits for a person, how to steer it, its live timeline and its subagents' lanes. */
export function SessionPage({ sessionId }: { sessionId: string }) {
  const live = useLiveEvents(sessionId);
  const view = viewOf(live.events);
  const [forkError, setForkError] = useState<string>();
  const fork = (n: number) => {
    setForkError(undefined);
    api
      .post<{ sessionId: string }>(`/sessions/${segment(sessionId)}/fork`, { at: n })
      .then(({ sessionId: forked }) => navigate(sessionPath(forked)))
      .catch((error: unknown) => setForkError(`fork at #${n}: ${String(error)}`));
  };
  return (
    <main class="session-page">
      <header class="page-head">
        <h1>
          {view.agent || 'session'} <span class="id">{sessionId}</span> <span class={`status status-${view.status}`}>{view.status}</span>
        </h1>
        <p class="muted">
          stream: <span class={`stream stream-${live.state}`}>{live.state}</span>
          {live.error ? <span class="error"> ({live.error})</span> : null}
          {view.forkedFrom ? (
            <>
              {' '}
              · forked from <Link href={sessionPath(view.forkedFrom.sessionId)}>{view.forkedFrom.sessionId}</Link> after #{view.forkedFrom.n} ·{' '}
              <Link href={diffPath(view.forkedFrom.sessionId, sessionId)}>diff with it</Link>
            </>
          ) : null}
        </p>
      </header>
      <Spend view={view} />
      <Approvals waiting={view.waiting} />
      <Steer sessionId={sessionId} status={view.status} />
      {view.output !== undefined ? (
        <section class="panel">
          <h2>Output</h2>
          <pre class="output">{view.output}</pre>
        </section>
      ) : null}
      <Findings view={view} />
      <section class="panel">
        <h2>Timeline</h2>
        {forkError ? <p class="error">{forkError}</p> : null}
        <Timeline events={live.events} onFork={fork} />
      </section>
      <Lanes sessionId={sessionId} spawnKey={view.children.map((child) => `${child.sessionId}:${child.status}`).join(',')} />
    </main>
  );
}

/** The supervisor's interventions, the grades and the memory the session was given, when there are any. */
function Findings({ view }: { view: SessionView }) {
  const { interventions, grades, memory } = view;
  if (interventions.length === 0 && grades.length === 0 && memory === undefined) return null;
  return (
    <section class="panel findings">
      {interventions.length > 0 ? (
        <div>
          <h2>Supervisor</h2>
          <ul>
            {interventions.map((event) => (
              <li key={event.n}>
                #{event.n} {summarise(event)}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {grades.length > 0 ? (
        <div>
          <h2>Grades</h2>
          <ul>
            {grades.map((event) => (
              <li key={event.n}>
                #{event.n} {summarise(event)}
                {Array.isArray(event.data.changes) && event.data.changes.length > 0 ? <span class="muted"> · changes: {clip(event.data.changes.join('; '), 200)}</span> : null}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {memory ? (
        <div>
          <h2>Memory loaded</h2>
          {memory.problem ? <p class="error">{memory.problem}</p> : null}
          <p class="muted">
            {memory.entries.length} entries{memory.store ? ` from ${memory.store} version ${memory.version ?? '?'}` : ''}
          </p>
          <ul>
            {memory.entries.map((entry) => (
              <li key={entry.key}>
                <code>{entry.key}</code> {clip(entry.text, 200)}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </section>
  );
}

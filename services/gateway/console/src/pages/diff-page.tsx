import { useEffect, useState } from 'preact/hooks';
import { api, segment } from '../api.ts';
import { summarise, tone, type LogEvent } from '../core/events.ts';
import { sessionPath } from '../core/route.ts';
import { viewOf } from '../core/session-view.ts';
import { Link } from '../parts/link.tsx';

interface Diff {
  divergence?: { n: number } | null;
}

interface Loaded {
  a: LogEvent[];
  b: LogEvent[];
  divergedAt: number | undefined;
}

const eventsOf = (sessionId: string) => api.get<{ events: LogEvent[] }>(`/sessions/${segment(sessionId)}/events?after=0&limit=1000`).then((page) => page.events);

/** Two runs side by side, event by event, from where they part. */
export function DiffPage({ a, b }: { a: string; b: string }) {
  const [loaded, setLoaded] = useState<Loaded>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    if (a === '' || b === '') return setError('a diff needs two sessions: /diff?a=<id>&b=<id>');
    Promise.all([eventsOf(a), eventsOf(b), api.get<Diff>(`/diff?${new URLSearchParams({ a, b }).toString()}`)])
      .then(([left, right, diff]) => setLoaded({ a: left, b: right, divergedAt: diff.divergence?.n ?? undefined }))
      .catch((failure: unknown) => setError(String(failure)));
  }, [a, b]);
  if (error) return <main><p class="error">{error}</p></main>;
  if (!loaded) return <main><p class="muted">Loading…</p></main>;
  const rows = Math.max(loaded.a.length, loaded.b.length);
  return (
    <main class="diff-page">
      <h1>Diff</h1>
      <p>{loaded.divergedAt === undefined ? 'The two logs hold the same steps.' : `They part at event #${loaded.divergedAt}.`}</p>
      <table class="diff">
        <thead>
          <tr>
            <th />
            {[a, b].map((sessionId, index) => (
              <th key={sessionId}>
                <Link href={sessionPath(sessionId)}>{sessionId}</Link> <Totals events={index === 0 ? loaded.a : loaded.b} />
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {Array.from({ length: rows }, (_, index) => (
            <tr key={index} class={loaded.divergedAt !== undefined && index + 1 >= loaded.divergedAt ? 'parted' : ''}>
              <td class="n">#{index + 1}</td>
              <Cell event={loaded.a[index]} />
              <Cell event={loaded.b[index]} />
            </tr>
          ))}
        </tbody>
      </table>
    </main>
  );
}

function Cell({ event }: { event: LogEvent | undefined }) {
  if (!event) return <td class="muted">—</td>;
  return (
    <td class={`tone-${tone(event.type)}`}>
      <strong>{event.type}</strong> {summarise(event)}
    </td>
  );
}

function Totals({ events }: { events: readonly LogEvent[] }) {
  const view = viewOf(events);
  return (
    <span class="muted">
      {view.status} · ${view.costUsd.toFixed(4)} · {view.steps} steps{view.grades.length > 0 ? ` · grade ${String(view.grades.at(-1)?.data.score)}` : ''}
    </span>
  );
}

import { useEffect, useState } from 'preact/hooks';
import { api, segment } from '../api.ts';
import { summarise, tone, type LogEvent } from '../core/events.ts';
import { sessionPath } from '../core/route.ts';
import { Link } from '../parts/link.tsx';

interface Diff {
  divergence?: { n: number } | null;
}

/** What `GET /sessions/{id}` says of a run that the diff's heading shows: read whole by the gateway, however long the log. */
interface RunSummary {
  status: string;
  to: number;
  totals: { steps: number; costUsd: number };
  grades: { score: number }[];
}

interface Loaded {
  runs: [RunSummary, RunSummary];
  divergedAt: number | undefined;
  /** The rows shown are events `from + 1` on, of each run. */
  from: number;
  a: LogEvent[];
  b: LogEvent[];
}

/** Events a page of the diff loads of each run, and the same events shown before where the runs part. */
const pageRows = 500;
const contextRows = 20;

const eventsOf = (sessionId: string, after: number, limit: number) =>
  limit <= 0 ? Promise.resolve([]) : api.get<{ events: LogEvent[] }>(`/sessions/${segment(sessionId)}/events?after=${after}&limit=${limit}`).then((page) => page.events);
const summaryOf = (sessionId: string) => api.get<RunSummary>(`/sessions/${segment(sessionId)}`);

/** Two runs side by side, event by event, from a little before where they part, a page at a time either way. */
export function DiffPage({ a, b }: { a: string; b: string }) {
  const [loaded, setLoaded] = useState<Loaded>();
  const [error, setError] = useState<string>();
  const fail = (failure: unknown) => setError(String(failure));
  useEffect(() => {
    if (a === '' || b === '') return setError('a diff needs two sessions: /diff?a=<id>&b=<id>');
    Promise.all([summaryOf(a), summaryOf(b), api.get<Diff>(`/diff?${new URLSearchParams({ a, b }).toString()}`)])
      .then(async ([left, right, diff]) => {
        const divergedAt = diff.divergence?.n ?? undefined;
        const from = divergedAt === undefined ? 0 : Math.max(0, divergedAt - 1 - contextRows);
        const [eventsA, eventsB] = await Promise.all([eventsOf(a, from, pageRows), eventsOf(b, from, pageRows)]);
        setLoaded({ runs: [left, right], divergedAt, from, a: eventsA, b: eventsB });
      })
      .catch(fail);
  }, [a, b]);
  if (error) return <main><p class="error">{error}</p></main>;
  if (!loaded) return <main><p class="muted">Loading…</p></main>;
  const { runs, divergedAt, from } = loaded;
  const rows = Math.max(loaded.a.length, loaded.b.length);
  const total = Math.max(runs[0].to, runs[1].to);
  const earlier = () => {
    const start = Math.max(0, from - pageRows);
    Promise.all([eventsOf(a, start, from - start), eventsOf(b, start, from - start)])
      .then(([eventsA, eventsB]) => setLoaded({ ...loaded, from: start, a: [...eventsA, ...loaded.a], b: [...eventsB, ...loaded.b] }))
      .catch(fail);
  };
  const later = () => {
    Promise.all([eventsOf(a, from + loaded.a.length, pageRows), eventsOf(b, from + loaded.b.length, pageRows)])
      .then(([eventsA, eventsB]) => setLoaded({ ...loaded, a: [...loaded.a, ...eventsA], b: [...loaded.b, ...eventsB] }))
      .catch(fail);
  };
  return (
    <main class="diff-page">
      <h1>Diff</h1>
      <p>{divergedAt === undefined ? 'The two logs hold the same steps.' : `They part at event #${divergedAt}.`}</p>
      {from > 0 ? (
        <p class="muted">
          Events #1 to #{from} are the same in both.{' '}
          <button type="button" class="earlier link" onClick={earlier}>
            Show {Math.min(from, pageRows)} earlier
          </button>
        </p>
      ) : null}
      <table class="diff">
        <thead>
          <tr>
            <th />
            {[a, b].map((sessionId, index) => (
              <th key={sessionId}>
                <Link href={sessionPath(sessionId)}>{sessionId}</Link> <Totals run={runs[index === 0 ? 0 : 1]} />
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {Array.from({ length: rows }, (_, index) => (
            <tr key={from + index} class={divergedAt !== undefined && from + index + 1 >= divergedAt ? 'parted' : ''}>
              <td class="n">#{from + index + 1}</td>
              <Cell event={loaded.a[index]} />
              <Cell event={loaded.b[index]} />
            </tr>
          ))}
        </tbody>
      </table>
      {from + rows < total ? (
        <button type="button" class="later link" onClick={later}>
          Show {Math.min(total - from - rows, pageRows)} later events · {(total - from - rows).toLocaleString('en')} not shown
        </button>
      ) : null}
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

function Totals({ run }: { run: RunSummary }) {
  const grade = run.grades.at(-1);
  return (
    <span class="muted">
      {run.status} · ${run.totals.costUsd.toFixed(4)} · {run.totals.steps} steps{grade ? ` · grade ${String(grade.score)}` : ''}
    </span>
  );
}

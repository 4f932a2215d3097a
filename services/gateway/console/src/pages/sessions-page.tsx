import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { diffPath, sessionPath } from '../core/route.ts';
import { noFilters, sessionsQuery, statuses, type SessionFilters } from '../core/session-filters.ts';
import { navigate } from '../navigation.ts';
import { Link } from '../parts/link.tsx';
import { NewSession } from '../parts/new-session.tsx';

interface SessionRow {
  sessionId: string;
  agent: string;
  status: string;
  createdAt: number;
  updatedAt: number;
  lastN: number;
  costUsd?: number;
  steps?: number;
  parent?: unknown;
  approvals?: unknown[];
}

const pageSize = 50;
/** The most one request may list (the gateway's cap): "Older" grows the refreshed page up to it. */
const maxListed = 500;
const refreshMs = 3_000;
const when = (at: number) => new Date(at).toLocaleString();

/** The sessions, newest first, filtered; two ticked sessions open side by side in a diff; a new one started. */
export function SessionsPage() {
  const [filters, setFilters] = useState<SessionFilters>(noFilters);
  const [limit, setLimit] = useState(pageSize);
  const [rows, setRows] = useState<SessionRow[]>();
  const [more, setMore] = useState(false);
  const [error, setError] = useState<string>();
  const [ticked, setTicked] = useState<string[]>([]);

  // One request for everything shown, refreshed in place: "Older" asks for more rows, not another page,
  // so a refresh never drops the older rows a person has opened.
  useEffect(() => {
    let stopped = false;
    const load = () =>
      api
        .get<{ sessions: SessionRow[]; next?: string }>(`/sessions?${sessionsQuery(filters, limit)}`)
        .then((page) => !stopped && (setRows(page.sessions), setMore(page.next !== undefined), setError(undefined)))
        .catch((failure: unknown) => !stopped && setError(String(failure)));
    void load();
    const timer = setInterval(() => document.visibilityState === 'visible' && void load(), refreshMs);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [filters, limit]);

  const applyFilters = (next: SessionFilters) => {
    setLimit(pageSize);
    setFilters(next);
  };
  const tick = (sessionId: string) => setTicked((was) => (was.includes(sessionId) ? was.filter((id) => id !== sessionId) : [...was, sessionId].slice(-2)));
  const [a, b] = ticked;

  return (
    <main>
      <h1>Sessions</h1>
      <NewSession />
      <Filters filters={filters} onChange={applyFilters} />
      <p>
        <button type="button" disabled={a === undefined || b === undefined} onClick={() => a && b && navigate(diffPath(a, b))}>
          Diff the two ticked
        </button>
      </p>
      {error ? <p class="error">{error}</p> : null}
      {rows === undefined ? <p class="muted">Loading…</p> : rows.length === 0 ? <p class="muted">No sessions match.</p> : <SessionTable rows={rows} ticked={ticked} onTick={tick} />}
      {more && limit < maxListed ? (
        <button type="button" onClick={() => setLimit(Math.min(maxListed, limit + pageSize))}>
          Older
        </button>
      ) : null}
      {more && limit >= maxListed ? <p class="muted">Showing the newest {maxListed}: narrow the filters to see older sessions.</p> : null}
    </main>
  );
}

function SessionTable({ rows, ticked, onTick }: { rows: readonly SessionRow[]; ticked: readonly string[]; onTick: (sessionId: string) => void }) {
  return (
    <table class="sessions">
      <thead>
        <tr>
          <th />
          <th>session</th>
          <th>agent</th>
          <th>status</th>
          <th>cost</th>
          <th>steps</th>
          <th>events</th>
          <th>started</th>
          <th>updated</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.sessionId} data-session={row.sessionId}>
            <td>
              <input type="checkbox" aria-label={`tick ${row.sessionId} for a diff`} checked={ticked.includes(row.sessionId)} onChange={() => onTick(row.sessionId)} />
            </td>
            <td>
              <Link href={sessionPath(row.sessionId)}>{row.sessionId}</Link>
              {row.approvals && row.approvals.length > 0 ? <span class="badge"> {row.approvals.length} waiting</span> : null}
            </td>
            <td>{row.agent}</td>
            <td>
              <span class={`status status-${row.status}`}>{row.status}</span>
            </td>
            <td class="num">{row.costUsd === undefined ? '' : `$${row.costUsd.toFixed(4)}`}</td>
            <td class="num">{row.steps ?? ''}</td>
            <td class="num">{row.lastN}</td>
            <td>{when(row.createdAt)}</td>
            <td>{when(row.updatedAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Filters({ filters, onChange }: { filters: SessionFilters; onChange: (filters: SessionFilters) => void }) {
  const [draft, setDraft] = useState(filters);
  const field = (key: keyof SessionFilters) => (event: Event) => setDraft({ ...draft, [key]: (event.currentTarget as HTMLInputElement).value });
  const apply = (event: Event) => {
    event.preventDefault();
    onChange(draft);
  };
  return (
    <form class="filters" onSubmit={apply}>
      <label>
        status{' '}
        <select name="status" value={draft.status} onChange={field('status')}>
          <option value="">any</option>
          {statuses.map((status) => (
            <option key={status} value={status}>
              {status}
            </option>
          ))}
        </select>
      </label>
      <label>
        agent <input name="agent" value={draft.agent} onInput={field('agent')} size={12} />
      </label>
      <label>
        since <input name="since" type="datetime-local" value={draft.since} onInput={field('since')} />
      </label>
      <label>
        until <input name="until" type="datetime-local" value={draft.until} onInput={field('until')} />
      </label>
      <label>
        cost $ <input name="minCost" inputMode="decimal" placeholder="min" value={draft.minCost} onInput={field('minCost')} size={6} />
      </label>
      <label>
        to <input name="maxCost" inputMode="decimal" placeholder="max" value={draft.maxCost} onInput={field('maxCost')} size={6} />
      </label>
      <button type="submit">Filter</button>
    </form>
  );
}

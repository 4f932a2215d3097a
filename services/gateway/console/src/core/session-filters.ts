/** The session list's filters, as the form holds them and as the gateway's query string takes them. */
export interface SessionFilters {
  status: string;
  agent: string;
  /** `datetime-local` values (the browser's local time), empty when unset. */
  since: string;
  until: string;
  minCost: string;
  maxCost: string;
}

export const noFilters: SessionFilters = { status: '', agent: '', since: '', until: '', minCost: '', maxCost: '' };

export const statuses = ['running', 'paused', 'idle', 'grading', 'succeeded', 'failed', 'aborted'] as const;

/** The query for GET /sessions: only the filters set, times as ms since the epoch. */
export function sessionsQuery(filters: SessionFilters, limit: number): string {
  const query = new URLSearchParams();
  if (filters.status !== '') query.set('status', filters.status);
  if (filters.agent.trim() !== '') query.set('agent', filters.agent.trim());
  for (const key of ['since', 'until'] as const) {
    const at = filters[key] === '' ? Number.NaN : new Date(filters[key]).getTime();
    if (Number.isFinite(at)) query.set(key, String(at));
  }
  for (const key of ['minCost', 'maxCost'] as const) if (filters[key] !== '' && Number.isFinite(Number(filters[key]))) query.set(key, filters[key]);
  query.set('limit', String(limit));
  return query.toString();
}

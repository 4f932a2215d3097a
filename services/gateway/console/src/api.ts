/**
 * The gateway's HTTP API as the console uses it: same-origin requests with the session cookie, and the
 * CSRF cookie's value sent back as `X-CSRF-Token` on every request that changes something (double submit).
 */

export const apiBase = '/api/v1';

/** An answer that is not 2xx, with the gateway's `{ error: { code, message } }` when it gave one. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** The readable CSRF cookie the gateway set at login. */
export function csrfToken(cookies: string = document.cookie): string | undefined {
  for (const part of cookies.split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === 'sbx_csrf') return decodeURIComponent(value.join('='));
  }
  return undefined;
}

/** Listeners told when the gateway says the caller is not logged in (the app shows the login page). */
const unauthorisedListeners = new Set<() => void>();
export function onUnauthorised(listener: () => void): () => void {
  unauthorisedListeners.add(listener);
  return () => unauthorisedListeners.delete(listener);
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const csrf = csrfToken();
  if (method !== 'GET' && csrf !== undefined) headers['x-csrf-token'] = csrf;
  const response = await fetch(`${apiBase}${path}`, { method, headers, credentials: 'same-origin', ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await response.text();
  const parsed: unknown = text.length > 0 && (response.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text;
  if (response.ok) return parsed as T;
  if (response.status === 401 && path !== '/auth/login') for (const listener of unauthorisedListeners) listener();
  const error = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
  throw new ApiError(response.status, error?.code ?? `http_${response.status}`, error?.message ?? (typeof parsed === 'string' && parsed !== '' ? parsed : response.statusText));
}

export const api = {
  get: <T>(path: string) => request<T>('GET', path),
  post: <T>(path: string, body: unknown = {}) => request<T>('POST', path, body),
  delete: <T>(path: string) => request<T>('DELETE', path),
};

/** A path segment or query value from data (ids come from events: never trust them inside a URL). */
export const segment = (value: string) => encodeURIComponent(value);

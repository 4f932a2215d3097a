import type { ProviderEndpoint } from './registry.ts';

/** Where a provider's calls go: whether that is this machine or a private network, and how to name it (a memory version's origin, doctor). */
export interface ModelPlace {
  local: boolean;
  /** The provider, and the host its calls go to when configured (`ollama at 127.0.0.1:11434`). */
  provider: string;
}

/** The public APIs of the built-in kinds, used when an endpoint sets no `baseURL`. */
const publicHosts: Record<ProviderEndpoint['kind'], string | undefined> = { anthropic: 'api.anthropic.com', openai: 'api.openai.com', 'openai-compatible': undefined };

/**
 * Whether provider `name`'s calls stay on this machine or a private network: `scripted` (no call
 * leaves the process), or an endpoint whose base URL is a loopback or private address. A host name
 * other than `localhost` counts as remote: where it resolves is not the configuration's to say.
 */
export function endpointPlace(name: string, endpoint: ProviderEndpoint | undefined): ModelPlace {
  if (name === 'scripted') return { local: true, provider: 'scripted' };
  if (endpoint === undefined) return { local: false, provider: name };
  const host = endpoint.baseURL === undefined ? publicHosts[endpoint.kind] : hostOf(endpoint.baseURL);
  if (host === undefined) return { local: false, provider: name };
  return { local: isPrivateHost(host), provider: `${name} at ${host}` };
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}

/** Loopback (127/8, ::1, localhost), private (10/8, 172.16/12, 192.168/16, fc00::/7) and link-local (169.254/16, fe80::/10) addresses. */
export function isPrivateHost(host: string): boolean {
  const name = host.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(name);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    return a === 127 || a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254);
  }
  if (!name.includes(':')) return false;
  return name === '::1' || /^f[cd][0-9a-f]{2}:/.test(name) || /^fe[89ab][0-9a-f]:/.test(name);
}

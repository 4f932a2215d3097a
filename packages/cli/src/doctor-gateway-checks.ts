import type { Finding } from './doctor-checks.ts';

/** The gateway as this environment configures it, and the tokens it would let in. */
export interface GatewayFacts {
  host: string;
  port: number;
  consoleDir: string;
  /** Whether the console's build (its index.html) is there. */
  consoleBuilt: boolean;
  /** The tokens' scopes, one entry per token; absent before the tokens bucket exists. */
  tokenScopes?: string[][];
}

/** Addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * A gateway open beyond this machine; and, once it has tokens (it is in use), one nobody can
 * administer through or with no console to serve. An installation without tokens hears nothing of
 * the gateway unless it opened it beyond loopback: it may not run one.
 */
export function gatewayFindings(facts: GatewayFacts | undefined): Finding[] {
  if (!facts) return [];
  const findings: Finding[] = [];
  if (!isLoopback(facts.host)) {
    findings.push({
      level: 'warn',
      message:
        `the gateway listens on ${facts.host}:${facts.port} (SIGNALBOX_GATEWAY_HOST), beyond this machine: anyone who reaches it can try tokens, ` +
        'and its cookies are Secure only over HTTPS. Put a TLS reverse proxy in front of it, or set SIGNALBOX_GATEWAY_HOST=127.0.0.1.',
    });
  }
  const tokens = facts.tokenScopes ?? [];
  if (tokens.length === 0) return findings;
  if (!tokens.some((scopes) => scopes.includes('admin'))) {
    findings.push({ level: 'warn', message: 'no gateway token has the admin scope, so none can manage tokens through the API: `signalbox tokens create admin --scopes admin`.' });
  }
  if (!facts.consoleBuilt) {
    findings.push({ level: 'warn', message: `the web console is not built (no index.html in ${facts.consoleDir}): the gateway answers / with 503. Build services/gateway/console, or set SIGNALBOX_GATEWAY_CONSOLE_DIR to its build.` });
  }
  if (findings.length > 0) return findings;
  return [{ level: 'ok', message: `the gateway serves http://${facts.host}:${facts.port}/ on loopback, ${tokens.length} token(s), the console built` }];
}

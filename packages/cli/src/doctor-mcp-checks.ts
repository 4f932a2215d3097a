import type { McpServerStatus } from '@signalbox/events';
import type { Finding } from './doctor-checks.ts';

/** What doctor saw of MCP servers: the file this environment names, and each server's status as executors recorded it. */
export interface McpFacts {
  /** `SIGNALBOX_MCP_SERVERS` here, when set. */
  file?: string;
  /** Why the file cannot be used, when it cannot. */
  fileProblem?: string;
  /** The servers the file lists, with the vault secrets each names. */
  configured: { name: string; transport: 'stdio' | 'http'; secrets: string[] }[];
  /** From the tools bucket, written by executors (`mcp-status.<server>`). */
  statuses: McpServerStatus[];
  /** The names of the secrets the vault holds. */
  sealed: string[];
  /** When doctor looked (ms), to tell a stale status. */
  checkedAt: number;
}

/** Executors rewrite each status at least every health check (30 s): three missed ones mean no executor watches it. */
export const staleMcpStatusMs = 90_000;

export function mcpFindings(facts: McpFacts | undefined): Finding[] {
  if (facts === undefined) return [];
  const reported = new Map(facts.statuses.map((status) => [status.server, status]));
  const fileFindings: Finding[] =
    facts.fileProblem === undefined ? [] : [{ level: 'error', message: `${facts.fileProblem}. Tool executors started with it here stop at start; fix the file.` }];
  return [
    ...fileFindings,
    ...unsealedFindings(facts),
    ...facts.configured.filter(({ name }) => !reported.has(name)).map(({ name }) => unreportedFinding(name, facts.file)),
    ...facts.statuses.flatMap((status) => statusFindings(status, facts.checkedAt)),
  ];
}

/** A secret the file names that the vault does not hold: the server cannot be started. */
function unsealedFindings({ configured, sealed }: McpFacts): Finding[] {
  const held = new Set(sealed);
  return configured.flatMap(({ name, secrets }) =>
    secrets
      .filter((secret) => !held.has(secret))
      .map((secret) => ({
        level: 'warn' as const,
        message: `The MCP server ${name} needs the vault secret ${secret}, which the vault does not hold: executors cannot start it. Set it with \`signalbox secrets set ${secret}\`.`,
      })),
  );
}

function unreportedFinding(server: string, file: string | undefined): Finding {
  return {
    level: 'warn',
    message: `The MCP server ${server} (in ${file ?? 'the MCP servers file'}) has no status: no tool executor with SIGNALBOX_MCP_SERVERS set has started it. Its tools are offered by none.`,
  };
}

function statusFindings(status: McpServerStatus, now: number): Finding[] {
  const name = `The MCP server ${status.server} (${status.transport})`;
  const ageSeconds = Math.round((now - status.at) / 1000);
  const findings: Finding[] = [];
  if (now - status.at > staleMcpStatusMs) {
    findings.push({ level: 'warn', message: `${name} was last reported ${ageSeconds} s ago${status.instance ? ` by ${status.instance}` : ''}: the executor that runs it may have stopped, and its tools' calls wait for one.` });
  } else if (status.status === 'stopped') {
    findings.push({ level: 'warn', message: `${name} was stopped with its executor${status.instance ? ` (${status.instance})` : ''}: none runs it now, and its tools' calls wait for one.` });
  } else if (status.status === 'connected') {
    findings.push({ level: 'ok', message: `${name} is connected, offering ${status.tools.length} tool${status.tools.length === 1 ? '' : 's'}${restartsNote(status.restarts)}.` });
  } else {
    const why = status.lastError ? `: ${status.lastError}` : '';
    findings.push({ level: 'warn', message: `${name} is ${status.status}${why} (${status.restarts} restarts). Its tools' calls fail until it connects.` });
  }
  if (status.refused.length > 0) {
    const shown = status.refused.slice(0, 3).map(({ tool, reason }) => `${tool}: ${reason}`).join('; ');
    findings.push({ level: 'warn', message: `${name} lists tools that are not offered (${shown}${status.refused.length > 3 ? '; ...' : ''}).` });
  }
  return findings;
}

function restartsNote(restarts: number): string {
  if (restarts === 0) return '';
  return ` (restarted ${restarts === 1 ? 'once' : `${restarts} times`})`;
}

import { configFromEnv } from '@signalbox/runtime';
import { ApiTokens, ApiTokenScope } from '@signalbox/store';
import { z } from 'zod';
import { withClient, type GlobalOptions } from './connection.ts';

const ScopeList = z.preprocess((text) => String(text).split(',').map((scope) => scope.trim()).filter(Boolean), z.array(ApiTokenScope).min(1, 'give at least one scope'));

/** `tokens create <name> --scopes read,submit`: the secret is printed this once; only its sha256 is stored. */
export async function createToken(options: GlobalOptions, name: string, flags: { scopes: string }): Promise<void> {
  const scopes = ScopeList.safeParse(flags.scopes);
  if (!scopes.success) throw new Error(`--scopes: ${z.prettifyError(scopes.error)} (scopes: ${ApiTokenScope.options.join(', ')})`);
  await withClient(options, async (client) => {
    const created = await (await ApiTokens.open(client.nc, client.names)).create(name, scopes.data, Date.now());
    if (options.json) return console.log(JSON.stringify(created));
    console.log(created.secret);
    console.error(`token ${name} (${created.scopes.join(', ')}): the secret above is shown this once and stored nowhere; keep it, or revoke and create another`);
  }, 'must-exist');
}

/** `tokens` / `tokens list`: names, scopes and when each was made: never a secret (none is stored). */
export async function listTokens(options: GlobalOptions): Promise<void> {
  await withClient(options, async (client) => {
    const tokens = await (await ApiTokens.open(client.nc, client.names)).list();
    if (options.json) return console.log(JSON.stringify(tokens, null, 2));
    if (tokens.length === 0) return console.log('no gateway tokens yet: make one with `signalbox tokens create <name> --scopes admin`');
    for (const token of tokens) console.log(`${token.name.padEnd(32)} ${token.scopes.join(',').padEnd(28)} ${new Date(token.createdAt).toISOString()}`);
  }, 'must-exist');
}

/** `tokens revoke <name>`: an unknown name is an error. */
export async function revokeToken(options: GlobalOptions, name: string): Promise<void> {
  await withClient(options, async (client) => {
    if (!(await (await ApiTokens.open(client.nc, client.names)).revoke(name))) throw new Error(`no token named "${name}"`);
    console.log(options.json ? JSON.stringify({ revoked: name }) : `revoked token ${name}`);
  }, 'must-exist');
}

/** `console`: where the gateway serves the web console, as this environment configures it. */
export function consoleAddress(options: Pick<GlobalOptions, 'json'>): void {
  const { host, port } = configFromEnv().gateway;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
  console.log(options.json ? JSON.stringify({ url }) : url);
}

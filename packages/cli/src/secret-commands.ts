import { configFromEnv } from '@signalbox/runtime';
import { readVaultKeys, vaultKeyInFile, type VaultKeys } from '@signalbox/store';
import { withClient, type GlobalOptions } from './connection.ts';

/** Where the value of `secrets set` comes from: standard input, never an argument (which `ps` and shell history would show). */
export interface SecretInput {
  isTTY?: boolean;
  [Symbol.asyncIterator](): AsyncIterator<string | Buffer>;
}

/** The vault keys this process holds, from SIGNALBOX_SECRETS_KEY_FILE and SIGNALBOX_SECRETS_PREVIOUS_KEY_FILE. */
function vaultKeys(): VaultKeys {
  return readVaultKeys(configFromEnv().secrets);
}

/** `secrets set <name>`: the value is standard input, one trailing line break dropped (what `echo` adds). */
export async function setSecret(options: GlobalOptions, name: string, input: SecretInput = process.stdin): Promise<void> {
  const { current } = vaultKeys();
  if (current === undefined) throw new Error('no vault key: set SIGNALBOX_SECRETS_KEY_FILE to a file holding 32 random bytes in base64 (openssl rand -base64 32)');
  if (input.isTTY) console.error(`type the value of ${name}, then a line break and Ctrl-D`);
  const value = (await readAll(input)).replace(/\r?\n$/, '');
  await withClient(options, async (client) => {
    await client.setSecret(name, value, current);
    console.log(options.json ? JSON.stringify({ name, keyId: current.id }) : `set secret ${name} (sealed under key ${current.id})`);
  });
}

/** `secrets` / `secrets list`: names only, never a value. */
export async function listSecrets(options: GlobalOptions): Promise<void> {
  await withClient(options, async (client) => {
    const sealed = await client.secretKeyIds();
    if (options.json) return console.log(JSON.stringify(sealed, null, 2));
    if (sealed.length === 0) return console.log('no secrets yet: store one with `signalbox secrets set <name> < file`');
    for (const { name, keyId } of sealed) console.log(`${name.padEnd(32)} key ${keyId}`);
  }, 'must-exist');
}

/** `secrets delete <name>`: an unknown name is an error. */
export async function deleteSecret(options: GlobalOptions, name: string): Promise<void> {
  await withClient(options, async (client) => {
    if (!(await client.deleteSecret(name))) throw new Error(`no secret ${name}; \`signalbox secrets\` lists them`);
    console.log(options.json ? JSON.stringify({ name, deleted: true }) : `deleted secret ${name}: calls granted it now fail until it is set again`);
  }, 'must-exist');
}

/** `secrets rotate --new-key-file F`: every secret sealed again under F's key, opened with the current (and previous) key. */
export async function rotateSecrets(options: GlobalOptions, newKeyFile: string): Promise<void> {
  const keys = vaultKeys();
  const next = vaultKeyInFile(newKeyFile, '--new-key-file');
  await withClient(options, async (client) => {
    const names = await client.rotateSecrets(keys, next);
    if (options.json) return console.log(JSON.stringify({ keyId: next.id, secrets: names }));
    console.log(`sealed ${names.length} secret${names.length === 1 ? '' : 's'} under key ${next.id}; now make ${newKeyFile} SIGNALBOX_SECRETS_KEY_FILE everywhere, and drop SIGNALBOX_SECRETS_PREVIOUS_KEY_FILE`);
  }, 'must-exist');
}

async function readAll(input: SecretInput): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

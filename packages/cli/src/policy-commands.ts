import { readFile } from 'node:fs/promises';
import { stringify } from 'yaml';
import { withClient, type GlobalOptions } from './connection.ts';
import { parsePolicyFile } from './policy-files.ts';

/**
 * `policies apply -f`: a file with any problem is refused whole, one line a problem on stderr (exit 1);
 * otherwise each policy is stored and its new version printed.
 */
export async function applyPolicies(options: GlobalOptions, file: string): Promise<void> {
  const parsed = parsePolicyFile(file, await readFile(file, 'utf8'));
  if (!parsed.ok) {
    for (const problem of parsed.problems) console.error(problem);
    process.exitCode = 1;
    return;
  }
  await withClient(options, async (client) => {
    for (const policy of parsed.policies) {
      const stored = await client.applyPolicy(policy);
      console.log(options.json ? JSON.stringify(stored) : `applied policy ${stored.name} (version ${stored.version})`);
    }
  });
}

/** `policies` / `policies list`: every stored policy's name and version. */
export async function listPolicies(options: GlobalOptions): Promise<void> {
  await withClient(options, async (client) => {
    const policies = await client.policies();
    if (options.json) return console.log(JSON.stringify(policies, null, 2));
    if (policies.length === 0) return console.log('no policies yet: store one with `signalbox policies apply -f <file>`');
    for (const policy of policies) console.log(`${policy.name.padEnd(24)} version ${policy.version}`);
  }, 'must-exist');
}

/** `policies show <name>`: the stored policy with its version, as YAML (what a policy file holds) or JSON. */
export async function showPolicy(options: GlobalOptions, name: string): Promise<void> {
  await withClient(options, async (client) => {
    const policy = await client.policy(name);
    if (!policy) throw new Error(`no policy ${name}; \`signalbox policies\` lists them`);
    process.stdout.write(options.json ? `${JSON.stringify(policy, null, 2)}\n` : stringify(policy));
  }, 'must-exist');
}

/** `policies delete <name>`: an unknown name is an error. */
export async function deletePolicy(options: GlobalOptions, name: string): Promise<void> {
  await withClient(options, async (client) => {
    if (!(await client.deletePolicy(name))) throw new Error(`no policy ${name}; \`signalbox policies\` lists them`);
    console.log(options.json ? JSON.stringify({ name, deleted: true }) : `deleted policy ${name}: agents naming it have their tool calls denied until it is applied again`);
  }, 'must-exist');
}

import { describe, expect, it } from 'vitest';
import { vaultFindings, type VaultFacts } from './doctor-vault-checks.ts';

const messages = (facts: Partial<VaultFacts>) => vaultFindings({ keys: { current: 'deadbeef' }, sealed: [], providerKeys: [], ...facts }).map((finding) => finding.message);
const sealed = [{ name: 'ANTHROPIC_PROD_KEY', keyId: 'deadbeef' }];

describe("doctor on agents' provider keys in the vault", () => {
  it('says nothing when each secret an agent names is stored and a key file is set here', () => {
    expect(messages({ sealed, providerKeys: [{ agent: 'biller', secret: 'ANTHROPIC_PROD_KEY' }] })).toEqual([]);
  });

  it('warns of each agent whose provider key secret the vault does not hold', () => {
    expect(messages({ sealed, providerKeys: [{ agent: 'biller', secret: 'ANTHROPIC_PROD_KEY' }, { agent: 'drafter', secret: 'OPENAI_TEAM_KEY' }] })).toEqual([
      'Agent drafter takes its provider key from the vault secret OPENAI_TEAM_KEY, which the vault does not hold: its sessions fail at their first model call. ' +
        'Set it with `signalbox secrets set OPENAI_TEAM_KEY < key-file`.',
    ]);
  });

  it('warns when agents take their key from the vault and no key file is set here, even with an empty vault', () => {
    expect(messages({ keys: {}, providerKeys: [{ agent: 'biller', secret: 'ANTHROPIC_PROD_KEY' }] })).toEqual([
      expect.stringMatching(/^Agent biller takes its provider key from the vault secret ANTHROPIC_PROD_KEY, which the vault does not hold/),
      'Agent biller takes its provider key from the vault, but SIGNALBOX_SECRETS_KEY_FILE is not set here: session actors started like this fail their model calls. ' +
        'Give them the file of the vault key.',
    ]);
  });
});

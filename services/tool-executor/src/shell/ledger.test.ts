import { describe, expect, it } from 'vitest';
import { ledgerKey } from './ledger.ts';

describe('ledgerKey', () => {
  it('maps any idempotency key to a valid, fixed-length KV key', () => {
    for (const key of ['s1/call_1', 's1/toolu_01A:B.C', 'run-7/call with spaces/ünïcode/*>', '.']) {
      expect(ledgerKey(key)).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('keeps distinct calls apart and the same call together', () => {
    expect(ledgerKey('s1/call_1')).toBe(ledgerKey('s1/call_1'));
    expect(ledgerKey('s1/call_1')).not.toBe(ledgerKey('s1/call_2'));
  });
});

import { describe, expect, it } from 'vitest';
import { brokerStatus, emptyBook, evolveBook } from './policy-book.ts';
import { brokerKey, stored } from './spec.ts';

describe('the policies a broker holds', () => {
  it('keeps each key’s latest revision as its version, and forgets a removed key', () => {
    const book = [stored({ name: 'staging' }, 1), stored({ name: 'prod' }, 2), stored({ name: 'staging' }, 3), { type: 'PolicyRemoved' as const, name: 'prod' }].reduce(
      evolveBook,
      emptyBook(),
    );
    expect([...book.values()]).toMatchObject([{ name: 'staging', version: 3 }]);
  });

  it('tells doctor which replica holds which versions, and the key it signs with', () => {
    const book = [stored({ name: 'staging' }, 4), stored({ name: 'b-team' }, 2)].reduce(evolveBook, emptyBook());
    expect(brokerStatus('broker-1', brokerKey, book)).toEqual({
      instance: 'broker-1',
      signer: brokerKey,
      policies: [
        { name: 'b-team', version: 2 },
        { name: 'staging', version: 4 },
      ],
    });
    expect(brokerStatus('broker-2', undefined, emptyBook())).toEqual({ instance: 'broker-2', policies: [] });
  });
});

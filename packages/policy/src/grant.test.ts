import { createUser } from '@nats-io/nkeys';
import { ToolGrant } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { checkGrant, defaultGrantTtlMs, grantSigningBytes, inputSha256, signGrant, type GrantedCall } from './grant.ts';

const broker = createUser();
const seed = new TextDecoder().decode(broker.getSeed());
const trusted = new Set([broker.getPublicKey()]);
const call: GrantedCall = { sessionId: 's1', callId: 'c1', tool: 'ops.delete', input: { target: 'staging-db', force: true } };
const issuedAt = 1_800_000_000_000;
const grant = signGrant(seed, call, { issuedAt, policy: 'staging', policyVersion: 3 });
const reasonOf = (check: ReturnType<typeof checkGrant>) => (check.ok ? 'ok' : check.reason);

describe('grants', () => {
  it('lets the call it was signed for run, within its time, whatever order the input keys come in', () => {
    expect(ToolGrant.parse(grant)).toEqual(grant);
    expect(grant).toMatchObject({ ttlMs: defaultGrantTtlMs, signer: broker.getPublicKey(), inputSha256: inputSha256(call.input) });
    const reordered = { ...call, input: { force: true, target: 'staging-db' } };
    expect(checkGrant(grant, reordered, trusted, issuedAt + 1_000)).toEqual({ ok: true });
  });

  it('refuses a job published around the actor, without a grant or with one from a broker it does not trust', () => {
    expect(reasonOf(checkGrant(undefined, call, trusted, issuedAt))).toBe('the job carries no grant from the permission broker');
    const stranger = createUser();
    const forged = signGrant(new TextDecoder().decode(stranger.getSeed()), call, { issuedAt, policy: 'staging' });
    expect(reasonOf(checkGrant(forged, call, trusted, issuedAt))).toMatch(/signed by U\w+, which this executor does not trust/);
  });

  it('refuses a grant whose claims were changed after signing, or with a signature that is not one', () => {
    for (const altered of [{ ...grant, ttlMs: 24 * 3600 * 1000 }, { ...grant, tool: 'ops.drop' }, { ...grant, signature: 'AAAA' }, { ...grant, signature: grant.signature.slice(1) }]) {
      expect(reasonOf(checkGrant(altered, { ...call, tool: altered.tool }, trusted, issuedAt))).toBe("the grant's signature does not match its claims");
    }
  });

  it('refuses a grant for another session, call, tool or input', () => {
    expect(reasonOf(checkGrant(grant, { ...call, sessionId: 's2' }, trusted, issuedAt))).toBe('the grant is for ops.delete call c1 of session s1, not ops.delete call c1 of session s2');
    expect(reasonOf(checkGrant(grant, { ...call, callId: 'c2' }, trusted, issuedAt))).toMatch(/not ops\.delete call c2/);
    expect(reasonOf(checkGrant(grant, { ...call, tool: 'ops.read' }, trusted, issuedAt))).toMatch(/not ops\.read call c1/);
    expect(reasonOf(checkGrant(grant, { ...call, input: { target: 'production-db', force: true } }, trusted, issuedAt))).toBe('the grant is for another input than the job carries');
  });

  it('refuses a grant replayed after it expired, and one issued well ahead of the clock', () => {
    expect(checkGrant(grant, call, trusted, issuedAt + defaultGrantTtlMs)).toEqual({ ok: true });
    expect(reasonOf(checkGrant(grant, call, trusted, issuedAt + defaultGrantTtlMs + 1))).toMatch(/^the grant expired at 2027-01-15T08:\d\d:00\.000Z; a call dispatched again asks the broker again$/);
    expect(reasonOf(checkGrant(grant, call, trusted, issuedAt - 2 * 60 * 1000))).toMatch(/later than now/);
  });

  it("signs with node:crypto exactly as the broker's NKey signs: nkeys verifies the grant, and a grant nkeys signed passes", () => {
    const { signature, ...claims } = grant;
    expect(broker.verify(grantSigningBytes(claims), Buffer.from(signature, 'base64url'))).toBe(true);
    const signedByNkeys = Buffer.from(broker.sign(grantSigningBytes(claims))).toString('base64url');
    expect(signedByNkeys).toBe(signature);
    expect(checkGrant({ ...claims, signature: signedByNkeys }, call, trusted, issuedAt)).toEqual({ ok: true });
  });
});

import { createHash, sign, verify, type KeyObject } from 'node:crypto';
import { canonicalJson, type ToolGrant } from '@signalbox/events';
import { signingKeyOf, verifyingKeyOf } from './ed25519-keys.ts';

/** The call a grant is for: what the job carries and the executor is asked to run. */
export interface GrantedCall {
  sessionId: string;
  callId: string;
  tool: string;
  input: unknown;
}

/** How long a grant holds unless the broker says otherwise: a call re-dispatched later asks again. */
export const defaultGrantTtlMs = 10 * 60 * 1000;
/** How far ahead of an executor's clock a grant's `issuedAt` may be: clocks of two machines differ a little. */
export const grantClockSkewMs = 60 * 1000;

export type GrantCheck = { ok: true } | { ok: false; reason: string };

/** The sha256 of the input's canonical JSON: a grant holds for exactly this input, whatever its keys' order. */
export function inputSha256(input: unknown): string {
  return createHash('sha256').update(canonicalJson(input ?? null)).digest('hex');
}

/** What a grant's signature covers: every field but the signature, as canonical JSON. */
export function grantSigningBytes(claims: Omit<ToolGrant, 'signature'>): Uint8Array {
  return new TextEncoder().encode(canonicalJson(claims));
}

/** The broker's grant for `call`, signed with its NKey seed (`SU…`). */
export function signGrant(seed: string, call: GrantedCall, terms: { issuedAt: number; ttlMs?: number; policy: string; policyVersion?: number; namedHosts?: string[]; secrets?: string[] }): ToolGrant {
  const signer = signerOf(seed);
  const claims: Omit<ToolGrant, 'signature'> = {
    sessionId: call.sessionId,
    callId: call.callId,
    tool: call.tool,
    inputSha256: inputSha256(call.input),
    issuedAt: terms.issuedAt,
    ttlMs: terms.ttlMs ?? defaultGrantTtlMs,
    policy: terms.policy,
    ...(terms.policyVersion === undefined ? {} : { policyVersion: terms.policyVersion }),
    ...(terms.namedHosts === undefined || terms.namedHosts.length === 0 ? {} : { namedHosts: terms.namedHosts }),
    ...(terms.secrets === undefined || terms.secrets.length === 0 ? {} : { secrets: terms.secrets }),
    signer: signer.publicKey,
  };
  return { ...claims, signature: sign(null, grantSigningBytes(claims), signer.key).toString('base64url') };
}

// A broker signs with one seed and an executor trusts a few brokers: each key is decoded once.
const signers = new Map<string, ReturnType<typeof signingKeyOf>>();
const verifiers = new Map<string, KeyObject>();

function signerOf(seed: string): ReturnType<typeof signingKeyOf> {
  let signer = signers.get(seed);
  if (!signer) signers.set(seed, (signer = signingKeyOf(seed)));
  return signer;
}

function verifierOf(publicKey: string): KeyObject {
  let verifier = verifiers.get(publicKey);
  if (!verifier) verifiers.set(publicKey, (verifier = verifyingKeyOf(publicKey)));
  return verifier;
}

/**
 * Whether `grant` lets `call` run at `now`: signed by a trusted broker, over these very claims, for
 * this session, call, tool and input, and not expired. The reason says what is wrong, for the dead letter.
 */
export function checkGrant(grant: ToolGrant | undefined, call: GrantedCall, trustedSigners: ReadonlySet<string>, now: number): GrantCheck {
  if (!grant) return refused('the job carries no grant from the permission broker');
  if (!trustedSigners.has(grant.signer)) return refused(`the grant is signed by ${grant.signer}, which this executor does not trust`);
  if (!signatureHolds(grant)) return refused("the grant's signature does not match its claims");
  const bound = { sessionId: call.sessionId, callId: call.callId, tool: call.tool };
  if (grant.sessionId !== bound.sessionId || grant.callId !== bound.callId || grant.tool !== bound.tool) {
    return refused(`the grant is for ${grant.tool} call ${grant.callId} of session ${grant.sessionId}, not ${bound.tool} call ${bound.callId} of session ${bound.sessionId}`);
  }
  if (grant.inputSha256 !== inputSha256(call.input)) return refused('the grant is for another input than the job carries');
  if (now > grant.issuedAt + grant.ttlMs) return refused(`the grant expired at ${new Date(grant.issuedAt + grant.ttlMs).toISOString()}; a call dispatched again asks the broker again`);
  if (grant.issuedAt > now + grantClockSkewMs) return refused(`the grant is issued at ${new Date(grant.issuedAt).toISOString()}, later than now`);
  return { ok: true };
}

function signatureHolds({ signature, ...claims }: ToolGrant): boolean {
  try {
    // Only a trusted signer's key gets here, so the cache holds no more keys than the executor trusts.
    return verify(null, grantSigningBytes(claims), verifierOf(claims.signer), Buffer.from(signature, 'base64url'));
  } catch {
    // A signer that is no public key, or a signature of the wrong length, holds no more than a wrong one.
    return false;
  }
}

function refused(reason: string): GrantCheck {
  return { ok: false, reason };
}

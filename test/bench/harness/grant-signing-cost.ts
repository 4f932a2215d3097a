import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { checkGrant, signGrant } from '@signalbox/policy';
import { median } from './stats.ts';

/** Median ms of one grant's signing and one's checking, as the broker and the executor do each. */
export interface SigningCost {
  /** `signGrant`: the input's sha256, the claims' canonical JSON and their ed25519 signature; once per allowed call. */
  signGrantMs: number;
  /** `checkGrant`: the same canonical JSON and sha256, and the signature's verification; once per job. */
  checkGrantMs: number;
  /** The ed25519 operations alone (node:crypto, as both use), for comparison. */
  signMs: number;
  verifyMs: number;
}

/**
 * Times the grant work apart from everything else, on a call with an input of about a grant's size:
 * the figures that explain a slow check, on this machine, in the same run.
 */
export function grantSigningCost(seed: string, reps = 200, inputBytes = 300): SigningCost {
  const call = { sessionId: 'bench-grant', callId: 'call-1', tool: 'bench.noop', input: { text: 'g'.repeat(inputBytes) } };
  const grant = signGrant(seed, call, { issuedAt: Date.now(), policy: 'bench' });
  const trusted = new Set([grant.signer]);
  if (!checkGrant(grant, call, trusted, Date.now()).ok) throw new Error('the benchmark grant does not check');
  const payload = new Uint8Array(400).fill(0x67);
  const node = generateKeyPairSync('ed25519');
  const signature = sign(null, payload, node.privateKey);
  return {
    signGrantMs: timed(reps, () => signGrant(seed, call, { issuedAt: Date.now(), policy: 'bench' })),
    checkGrantMs: timed(reps, () => checkGrant(grant, call, trusted, Date.now())),
    signMs: timed(reps, () => sign(null, payload, node.privateKey)),
    verifyMs: timed(reps, () => verify(null, payload, node.publicKey, signature)),
  };
}

function timed(reps: number, work: () => unknown): number {
  work();
  const samples: number[] = [];
  for (let rep = 0; rep < reps; rep++) {
    const started = performance.now();
    work();
    samples.push(performance.now() - started);
  }
  return median(samples);
}

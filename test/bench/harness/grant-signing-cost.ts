import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { fromPublic, fromSeed, type KeyPair } from '@nats-io/nkeys';
import { median } from './stats.ts';

/** Median ms of one grant's signing and one's verifying, as the broker and the executor do each. */
export interface SigningCost {
  /** `fromSeed(seed).sign(bytes)`: @signalbox/policy `signGrant`, once per allowed call. */
  nkeysSignMs: number;
  /** `fromPublic(signer).verify(bytes, signature)`: `checkGrant`, once per job. */
  nkeysVerifyMs: number;
  /** The same ed25519 operations through node:crypto, for comparison. */
  nodeSignMs: number;
  nodeVerifyMs: number;
}

/**
 * Times the ed25519 work of a grant apart from everything else, on a payload of a grant's size:
 * the figures that explain a slow check, on this machine, in the same run.
 */
export function grantSigningCost(broker: KeyPair, reps = 20, bytes = 400): SigningCost {
  const payload = new Uint8Array(bytes).fill(0x67);
  const seed = broker.getSeed();
  const signer = broker.getPublicKey();
  const signature = broker.sign(payload);
  const node = generateKeyPairSync('ed25519');
  const nodeSignature = sign(null, payload, node.privateKey);
  return {
    nkeysSignMs: timed(reps, () => fromSeed(seed).sign(payload)),
    nkeysVerifyMs: timed(reps, () => fromPublic(signer).verify(payload, signature)),
    nodeSignMs: timed(reps * 10, () => sign(null, payload, node.privateKey)),
    nodeVerifyMs: timed(reps * 10, () => verify(null, payload, node.publicKey, nodeSignature)),
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

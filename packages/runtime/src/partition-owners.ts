import { createHash } from 'node:crypto';

/**
 * Which partitions `self` consumes, given the replicas of its group alive now: each partition goes to
 * the member with the highest hash of (member, partition), rendezvous hashing. Every replica computes
 * the same answer from the same members, a replica joining or leaving moves only its share of the
 * partitions, and none is left out. Replicas may briefly disagree while membership changes; the
 * consumers' pinned priority group keeps each partition to one replica meanwhile.
 */
export function partitionsOf(self: string, members: readonly string[], partitions: number): number[] {
  const everyone = members.includes(self) ? members : [...members, self];
  const owned: number[] = [];
  for (let partition = 0; partition < partitions; partition++) {
    if (ownerOf(partition, everyone) === self) owned.push(partition);
  }
  return owned;
}

function ownerOf(partition: number, members: readonly string[]): string | undefined {
  let best: { member: string; score: bigint } | undefined;
  for (const member of members) {
    const score = createHash('sha256').update(`${member}\n${partition}`).digest().readBigUInt64BE(0);
    if (!best || score > best.score || (score === best.score && member < best.member)) best = { member, score };
  }
  return best?.member;
}

/**
 * The partition of the partitions stream that holds a session's events: what the stream's subject
 * transform `{{partition(n,1)}}` computes on the server, the 32-bit FNV-1a hash of the session id
 * modulo the partition count. A service that must reach the replica following a session (the
 * supervisor's gate) computes it here; test/e2e/supervisor-gate.test.ts checks it against the server.
 */
export function partitionOfSession(sessionId: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(sessionId, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % partitions;
}

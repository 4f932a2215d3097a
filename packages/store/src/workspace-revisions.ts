/**
 * What a write conditioned on the revision its writer read asks of the stream: that the run's own
 * subject for the path be at `expect` (0: no message yet), or nothing, as the write conflicts already.
 */
export type SubjectCheck = { expect: number } | { conflict: true };

/**
 * The check for a write that expects the path at `ifRevision` (0: no file), when the layers the run
 * inherits (a fork's origin as of its fork point) hold it at `inherited` (0: they do not). Those
 * layers never change, so only the run's own subject is checked, by the stream, with the write.
 * `deletedAt`: the run's own last record of the path is its deletion, at that revision.
 */
export function subjectCheck(ifRevision: number, inherited: number, deletedAt?: number): SubjectCheck {
  // No file, as the run deleted it: the subject must still end with that deletion.
  if (deletedAt !== undefined && ifRevision === 0) return { expect: deletedAt };
  // The file as inherited: the run must not have written the path since.
  if (ifRevision === inherited) return { expect: 0 };
  // "No file", while the inherited one is there: no own write can make that true.
  if (ifRevision === 0) return { conflict: true };
  return { expect: ifRevision };
}

/** Why a memory store refused a request: each a person can act on, so none is worth retrying as it is. */
export type MemoryStoreErrorCode =
  | 'invalid_store_name'
  | 'unknown_store'
  | 'unknown_version'
  | 'version_decided'
  | 'held_changes'
  | 'not_promoted'
  | 'store_full'
  | 'contended';

/** A memory store's refusal, with a stable `code` (see MemoryStoreErrorCode). */
export class MemoryStoreError extends Error {
  override readonly name = 'MemoryStoreError';
  readonly code: MemoryStoreErrorCode;

  constructor(code: MemoryStoreErrorCode, message: string, cause?: unknown) {
    super(message, { cause });
    this.code = code;
  }
}

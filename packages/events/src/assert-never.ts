/**
 * Ends every switch over a union: a member left unhandled fails type-checking here, and a value
 * the types did not foresee (data from an older or newer writer) fails loudly at run time.
 */
export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}

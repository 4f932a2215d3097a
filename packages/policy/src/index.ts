export { childPolicy, narrow } from './compose.ts';
export { evaluate } from './evaluate.ts';
export type { PolicyDecision } from './evaluate.ts';
export { listedToolsPolicy } from './listed-tools.ts';
export type { PolicyCall } from './matching.ts';
export { checkGrant, defaultGrantTtlMs, grantClockSkewMs, grantSigningBytes, inputSha256, signGrant } from './grant.ts';
export type { GrantCheck, GrantedCall } from './grant.ts';

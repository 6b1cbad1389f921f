/**
 * Stytch sources. `stytch-b2b`: organizations, members (one WorkOS user per distinct email),
 * roles (RBAC policy and custom roles), password hashes from a support export. `stytch`: consumer
 * users. Both on the real `stytch` SDK, paced at Stytch's limits (100 / 150 requests a minute),
 * resumable page by page. See b2b.ts (paging and cursor), mapping.ts (decisions), and
 * ../../services/passwords/stytch.ts (the support export and the scrypt salt subtlety).
 */
export { createStytchB2BProvider } from './b2b.js';
export type { StytchB2BOptions, StytchMemberStatus } from './b2b.js';
export { createStytchConsumerProvider } from './consumer.js';
export type { StytchConsumerOptions } from './consumer.js';
export { userSourceIdFor, mapMembers, mapOrganization, mapConsumerUser, orderRoles } from './mapping.js';
export type { ImplicitRoles } from './mapping.js';
export { StytchCallError } from './client.js';
export type { StytchConnection } from './client.js';

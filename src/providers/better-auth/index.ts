/**
 * Better Auth: the application's own database (SQLite, PostgreSQL, MySQL/MariaDB), read-only.
 * See provider.ts (phases, keyset paging, cursor), schema.ts (tables and columns found or named),
 * mapping.ts (decisions), two-factor.ts (decrypting TOTP secrets) and
 * ../../services/passwords/better-auth.ts (the scrypt salt subtlety).
 */
export { createBetterAuthProvider, NFKC_WARNING } from './provider.js';
export type { BetterAuthOptions, TeamsChoice } from './provider.js';
export { secretsFromEnv, decryptBetterAuthValue, totpSecretFromPlaintext } from './two-factor.js';
export { maskUrl } from './connection.js';
export { TABLES, COLUMNS } from './schema.js';

/**
 * A local, WorkOS-compatible HTTP API for tests and the `demo` command. The real
 * `@workos-inc/node` SDK talks to it over HTTP:
 *
 *   const sandbox = await startSandbox();
 *   const workos = new WorkOS(sandbox.apiKey, { apiHostname: sandbox.host, https: false, port: sandbox.port });
 *
 * It enforces the real rate limits (sliding window), answers with the real error codes, and can
 * inject faults (429s, 500s, lost responses, connection resets, latency).
 * No side effects on import.
 */
export { startSandbox, REAL_LIMITS, DEFAULT_API_KEY, bucketFor } from './server.js';
export type { Sandbox } from './server.js';
export type {
  BucketLimit,
  BucketName,
  SandboxLimits,
  SandboxFaults,
  SandboxOptions,
  SandboxStats,
  SandboxState,
  SandboxUser,
  SandboxOrganization,
  SandboxOrganizationDomain,
  SandboxMembership,
  SandboxRole,
  SandboxRoleRef,
  SandboxPasswordReset,
  SandboxCredential,
  SandboxAuthFactor,
  SandboxInvitation,
  UserConflictStyle,
} from './types.js';
export { verifyPasswordHash } from './passwords.js';
export { PASSWORD_HASH_TYPES, isPasswordHashType, isValidPasswordHash, passwordHashProblem } from './hash-formats.js';
export type { PasswordHashType } from './hash-formats.js';

/**
 * A fake Stytch API (B2B organizations/members search, RBAC policy, consumer user search) with
 * the real 100/min and 150/min limits, for tests and the benchmark; and seeded projects with the
 * WorkOS state their migration must end in. The real `stytch` SDK talks to it over HTTP:
 *
 *   const fake = await startFakeStytch({ project: generateStytchProject({ organizations: 50, members: 2000 }).project });
 *   const client = new B2BClient({ project_id: fake.projectId, secret: fake.secret, env: fake.url });
 */
export { startFakeStytch, STYTCH_B2B_LIMIT, STYTCH_CONSUMER_LIMIT } from './server.js';
export type { FakeStytch, FakeStytchOptions, FakeStytchStats } from './server.js';
export {
  generateStytchProject,
  expectedState,
  writeStytchPasswordExport,
  stytchScryptHash,
  organizationObject,
  memberObject,
  userObject,
  DEFAULT_POLICY,
  DEFAULT_STYTCH_SCRYPT,
} from './data.js';
export type {
  StytchProject,
  StytchProjectOptions,
  GeneratedStytchProject,
  ExpectedStytchState,
  ExpectedUser,
  ExpectedMembership,
  MemberStatus,
  StytchPasswordRecord,
  StytchScryptParams,
  PasswordExportShape,
} from './data.js';

/**
 * A fake Auth0 tenant (token endpoint, bulk export jobs, organizations, members, roles, per-endpoint
 * rate limits) and seeded tenants with the WorkOS state their migration must end in. The real
 * `auth0` SDK talks to it through the provider's fetch (AUTH0_API_URL):
 *
 *   const fake = await startFakeAuth0({ tenant: generateAuth0Tenant({ users: 1200, organizations: 30 }) });
 *   // AUTH0_DOMAIN=fake.domain AUTH0_API_URL=fake.url AUTH0_CLIENT_ID=fake.clientId AUTH0_CLIENT_SECRET=fake.clientSecret
 */
export { startFakeAuth0 } from './server.js';
export type { FakeAuth0, FakeAuth0Options, FakeAuth0Stats } from './server.js';
export {
  generateAuth0Tenant,
  expectedAuth0State,
  writeAuth0PasswordExport,
  writeAuth0MfaExport,
  auth0ExportFile,
  DB_CONNECTION,
  GOOGLE_CONNECTION,
  SAML_CONNECTION,
} from './data.js';
export type { Auth0Tenant, Auth0TenantOptions, Auth0User, Auth0Org, Auth0Role, ExpectedAuth0State } from './data.js';

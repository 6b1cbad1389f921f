/**
 * A fake Clerk Backend API and seeded instances with the WorkOS state their migration must end in.
 * The provider talks to it with plain fetch (CLERK_API_URL):
 *
 *   const fake = await startFakeClerk({ instance: await generateClerkInstance({ users: 1200, organizations: 30 }) });
 *   // CLERK_API_URL=fake.url CLERK_SECRET_KEY=fake.secretKey
 */
export { startFakeClerk } from './server.js';
export type { FakeClerk, FakeClerkOptions, FakeClerkStats } from './server.js';
export { generateClerkInstance, expectedClerkState, writeClerkExport, clerkExportCsv, CLERK_EXPORT_COLUMNS, CUSTOM_ROLE } from './data.js';
export type { ClerkInstance, ClerkInstanceOptions, ClerkUser, ClerkOrganization, ClerkMembershipSeed, ClerkDomainSeed, ClerkInvitationSeed, ExpectedClerkState, ExpectedClerkUser } from './data.js';

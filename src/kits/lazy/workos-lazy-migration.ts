/**
 * Lazy migration into WorkOS, written by `workos-migrate lazy`: yours to edit and keep.
 *
 * For users whose password hashes cannot leave the old system (Cognito, an export not delivered
 * yet), each user moves on their next sign-in, as Auth0's "automatic migration" does:
 *
 *   1. Try WorkOS (`authenticateWithPassword`). Signed in: done.
 *   2. Refused, and the user is unknown to WorkOS or has not moved yet: ask the old system
 *      (`verifyWithOldSystem(email, password)`, your callback, returning the profile or null).
 *   3. The old system says yes: create the WorkOS user with that password (or set the password
 *      of the user the import created without one), mark it moved, and sign in through WorkOS.
 *
 * A wrong password creates nothing. Once a user has moved (or has signed in through WorkOS once),
 * WorkOS alone decides: the old system is never asked for them again, so a password changed or
 * reset in WorkOS cannot be undone with the old one. Until then, the old system's word counts:
 * turn it off (`verifyWithOldSystem` returning null) at cutover.
 */
import type { WorkOS } from '@workos-inc/node';

/** What the old system knows of a user whose password it accepted. */
export interface OldSystemProfile {
  /** The old system's user id; becomes the WorkOS user's `externalId` (as the import does). */
  id: string;
  firstName?: string | null;
  lastName?: string | null;
  emailVerified?: boolean;
}

/** Metadata key marking a user whose password WorkOS now holds. */
export const MOVED_KEY = 'lazy_migration';

type Authentication = Awaited<ReturnType<WorkOS['userManagement']['authenticateWithPassword']>>;

export type LazySignInResult =
  | {
      status: 'signed_in';
      /** `workos`: WorkOS had the password; `moved`: the old system vouched and the user moved now. */
      via: 'workos' | 'moved';
      /** With `moved`: whether the WorkOS user was created now or existed without the password. */
      moved?: 'created' | 'updated';
      authentication: Authentication;
    }
  | { status: 'invalid_credentials' };

export type LazyEvent =
  | { type: 'moved'; email: string; workosUserId: string; created: boolean }
  | { type: 'mark_failed'; email: string; reason: string };

export interface LazyMigrationOptions {
  workos: WorkOS;
  /** The WorkOS client id (client_...) of the environment. */
  clientId: string;
  /** Checks the password against the old system: the user's profile when it is right, else null. */
  verifyWithOldSystem: (email: string, password: string) => Promise<OldSystemProfile | null>;
  onEvent?: (event: LazyEvent) => void;
}

export interface SignInContext {
  ipAddress?: string;
  userAgent?: string;
}

interface SdkError {
  status?: number;
  code?: string;
  error?: string;
  rawData?: { code?: string; error?: string };
}

/**
 * WorkOS's refusal of an email and password (wrong, unknown user, or a user without one): a 400
 * with code `invalid_credentials` as far as known. The one place to change if your environment
 * answers otherwise.
 */
function isInvalidCredentials(error: unknown): boolean {
  const e = (error ?? {}) as SdkError;
  return [e.code, e.error, e.rawData?.code, e.rawData?.error].includes('invalid_credentials');
}

const optional = (value: string | null | undefined) => (value === null || value === undefined || value === '' ? undefined : value);

export function createLazySignIn(options: LazyMigrationOptions) {
  const { workos, clientId } = options;
  const tell = (event: LazyEvent) => options.onEvent?.(event);
  const authenticate = (email: string, password: string, context: SignInContext) =>
    workos.userManagement.authenticateWithPassword({ clientId, email, password, ...context });

  /**
   * Signs a user in, moving them from the old system on the way when needed. Other answers of
   * WorkOS (email verification, MFA, organization selection: the password was right) and errors
   * (network, rate limits) are thrown as the SDK gives them, for your sign-in flow to handle.
   */
  async function signIn(email: string, password: string, context: SignInContext = {}): Promise<LazySignInResult> {
    try {
      const authentication = await authenticate(email, password, context);
      if (!authentication.user.metadata?.[MOVED_KEY]) await mark(authentication.user, email);
      return { status: 'signed_in', via: 'workos', authentication };
    } catch (error) {
      if (!isInvalidCredentials(error)) throw error;
    }

    const existing = (await workos.userManagement.listUsers({ email: email.trim().toLowerCase() })).data[0];
    // Moved already: WorkOS alone decides, and it said no.
    if (existing?.metadata?.[MOVED_KEY]) return { status: 'invalid_credentials' };
    const profile = await options.verifyWithOldSystem(email, password);
    if (!profile) return { status: 'invalid_credentials' };

    let workosUserId: string;
    let created = false;
    const moved = { [MOVED_KEY]: `moved ${new Date().toISOString()}` };
    if (existing) {
      // The whole metadata object: what the user had, and the mark.
      await workos.userManagement.updateUser({ userId: existing.id, password, metadata: { ...existing.metadata, ...moved }, ...(existing.externalId ? {} : { externalId: profile.id }) });
      workosUserId = existing.id;
    } else {
      try {
        const user = await workos.userManagement.createUser({
          email: email.trim(),
          password,
          firstName: optional(profile.firstName),
          lastName: optional(profile.lastName),
          emailVerified: profile.emailVerified ?? false,
          externalId: profile.id,
          metadata: moved,
        });
        workosUserId = user.id;
        created = true;
      } catch (error) {
        // Another sign-in (or the import) created the user meanwhile: set its password instead.
        const status = (error as SdkError | undefined)?.status;
        if (status !== 400 && status !== 409) throw error;
        const raced = (await workos.userManagement.listUsers({ email: email.trim().toLowerCase() })).data[0];
        if (!raced) throw error;
        await workos.userManagement.updateUser({ userId: raced.id, password, metadata: { ...raced.metadata, ...moved } });
        workosUserId = raced.id;
      }
    }
    tell({ type: 'moved', email, workosUserId, created });
    const authentication = await authenticate(email, password, context);
    return { status: 'signed_in', via: 'moved', moved: created ? 'created' : 'updated', authentication };
  }

  /** Marks a user WorkOS signed in by itself; a failure here never fails the sign-in. */
  async function mark(user: { id: string; metadata?: Record<string, string> }, email: string): Promise<void> {
    try {
      await workos.userManagement.updateUser({ userId: user.id, metadata: { ...user.metadata, [MOVED_KEY]: `signed in ${new Date().toISOString()}` } });
    } catch (error) {
      tell({ type: 'mark_failed', email, reason: error instanceof Error ? error.message : String(error) });
    }
  }

  return { signIn };
}

/**
 * The sign-in check: one real `authenticateWithPassword` with a test account the operator names,
 * proving that a migrated password hash works end to end (a converter that got the salt wrong
 * yields hashes WorkOS accepts and no user can sign in with). The password is the caller's,
 * asked for and held in memory only: nothing here stores, logs or repeats it.
 */
import { ExpectedError } from '../errors.js';
import { classifyWorkOSError } from './workos/errors.js';
import { WorkOSTarget } from './workos/target.js';

export interface SignInCheckInput {
  apiKey: string;
  apiUrl?: string;
  /** The WorkOS client id (client_...) of the environment the users were migrated into. */
  clientId: string;
  email: string;
  password: string;
}

export type SignInCheckResult =
  | {
      ok: true;
      email: string;
      /** Null when WorkOS accepted the password but asks for another step (see `note`). */
      userId: string | null;
      externalId: string | null;
      /** A further step WorkOS asks for after accepting the password (verify the email, MFA...). */
      note?: string;
    }
  | {
      ok: false;
      email: string;
      code: string;
      reason: string;
      nextStep: string;
    };

/**
 * Answers WorkOS gives only once the password was right: the sign-in continues with another step
 * (the pending authentication token), so the migrated hash works.
 */
const PASSWORD_ACCEPTED: Record<string, string> = {
  email_verification_required: 'WorkOS asks this user to verify their email address next (the environment requires verified emails)',
  mfa_enrollment: 'WorkOS asks this user to enroll a second factor next (the environment requires MFA)',
  mfa_challenge: 'WorkOS asks this user for their second factor next',
  organization_selection_required: 'WorkOS asks this user to choose one of their organizations next',
};

/** Answers where a policy stops password sign-in before the password is looked at. */
const POLICY: Record<string, string> = {
  sso_required: 'this user must sign in through their organization\'s SSO, so WorkOS did not check the password',
  organization_authentication_methods_required: 'an organization of this user does not allow password sign-in, so WorkOS did not check the password',
};

interface SdkError {
  error?: string;
  rawData?: { code?: string; error?: string; message?: string; error_description?: string };
}

/** The answer's code, wherever the SDK kept it (an OAuth-style `error` or a `code`). */
function codeOf(error: unknown, fallback: string): string {
  const e = (error ?? {}) as SdkError;
  return e.rawData?.code ?? e.rawData?.error ?? e.error ?? fallback;
}

/** Signs the test account in once and says whether it worked, and if not, why and what to do. */
export async function checkSignIn(input: SignInCheckInput): Promise<SignInCheckResult> {
  const email = input.email.trim();
  if (!email.includes('@')) throw new ExpectedError(`"${email}" is not an email address.`, 'Name the test account by its email: --sign-in user@example.com.');
  if (!input.clientId.trim()) throw new ExpectedError('The sign-in check needs the WorkOS client id.', 'Set WORKOS_CLIENT_ID (client_...) or pass --client-id.');
  if (!input.password) throw new ExpectedError('The sign-in check needs the test account\'s password.', 'Set WORKOS_MIGRATE_TEST_PASSWORD, or run it in a terminal to be asked.');
  const target = new WorkOSTarget({ apiKey: input.apiKey, apiUrl: input.apiUrl, timeoutMs: 30_000 });
  try {
    const answer = await target.sdk.userManagement.authenticateWithPassword({ clientId: input.clientId.trim(), email, password: input.password });
    return { ok: true, email, userId: answer.user.id, externalId: answer.user.externalId ?? null };
  } catch (error) {
    const info = classifyWorkOSError(error);
    const code = codeOf(error, info.kind === 'invalid' || info.kind === 'not_found' || info.kind === 'bug' || info.kind === 'unauthorized' ? info.code : info.kind);
    if (PASSWORD_ACCEPTED[code]) return { ok: true, email, userId: null, externalId: null, note: `${PASSWORD_ACCEPTED[code]}.` };
    if (info.kind === 'unauthorized') {
      throw new ExpectedError(`WorkOS rejected the API key (${target.apiUrl} answered 401).`, 'Check WORKOS_API_KEY: the secret key of the environment the users were migrated into.');
    }
    if (info.kind === 'transient' || info.kind === 'rate_limited') {
      throw new ExpectedError(`Cannot sign in at ${target.apiUrl}: ${info.message}.`, 'Check the network (or WORKOS_API_URL / --workos-url) and run the check again.');
    }
    if (code === 'invalid_client' || code === 'unauthorized_client') {
      throw new ExpectedError(
        `WorkOS did not accept the client id ${input.clientId} (${code}).`,
        'Use the client id (client_...) of the same environment as WORKOS_API_KEY, from the dashboard\'s API keys page.',
      );
    }
    if (POLICY[code]) {
      return { ok: false, email, code, reason: `${POLICY[code]}.`, nextStep: 'Choose a test account that signs in with a password.' };
    }
    if (code === 'invalid_credentials') return explainRefusal(target, email, code);
    return { ok: false, email, code, reason: `WorkOS refused the sign-in: ${info.message}.`, nextStep: 'Check the account in the WorkOS dashboard.' };
  }
}

/**
 * WorkOS answers a wrong password, an unknown email and a user without a password alike; one read
 * with the API key tells the operator which of them it is.
 */
async function explainRefusal(target: WorkOSTarget, email: string, code: string): Promise<SignInCheckResult> {
  let found: { id: string; externalId?: string | null } | undefined;
  try {
    found = (await target.sdk.userManagement.listUsers({ email, limit: 1 })).data[0];
  } catch {
    return {
      ok: false,
      email,
      code,
      reason: 'WorkOS refused the email and password (invalid_credentials).',
      nextStep: 'Check that the user was migrated (id-map.csv) with a password hash, and that the password is the one they use in the source.',
    };
  }
  if (!found) {
    return {
      ok: false,
      email,
      code,
      reason: `WorkOS has no user with the email ${email}.`,
      nextStep: 'Check the email, and whether the user is in failures.csv of the migration.',
    };
  }
  return {
    ok: false,
    email,
    code,
    reason: `WorkOS has the user (${found.id}${found.externalId ? `, external id ${found.externalId}` : ''}) but refused the password: either it is not the user's password, or the user has no password in WorkOS (imported without a hash, or with one that does not match).`,
    nextStep:
      'Confirm the password signs in at the source. If it does, the hash did not carry: look for the user in failures.csv and the summary (password state), and check the hash conversion of its type.',
  };
}

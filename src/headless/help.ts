export const MAIN_HELP = `workos-migrate: move users, organizations, memberships, roles and password hashes into WorkOS.

Usage
  workos-migrate run --source file --file PATH [options]   a new migration, headless
  workos-migrate resume [--journal PATH]                   continue a stopped migration
  workos-migrate status [--journal PATH]                   where a migration stands
  workos-migrate report [--journal PATH] [--out DIR]       write the id map, failures and summary
  workos-migrate                                           the wizard (in a terminal)
  workos-migrate verify [--journal PATH] [--json]          the verification checklist
  workos-migrate demo [--users N] [--fast] [--headless]    the whole flow against a local sandbox

Run \`workos-migrate COMMAND --help\` for a command's options.

Environment
  WORKOS_API_KEY   the WorkOS secret key (sk_test_... or sk_live_...); also read from ./.env
  WORKOS_API_URL   another WorkOS-compatible endpoint (a proxy, the sandbox); default https://api.workos.com
  STYTCH_PROJECT_ID, STYTCH_SECRET
                   the Stytch project's credentials (the secret is never written anywhere)
  STYTCH_API_URL   another Stytch-compatible endpoint; default chosen by Stytch from the project id
  DATABASE_URL     Better Auth: the app's database (postgres://, mysql:// URL or SQLite path), read-only
  BETTER_AUTH_SECRET, BETTER_AUTH_SECRETS
                   Better Auth: the app's secret(s), to carry two-factor (TOTP) secrets over
  AUTH0_DOMAIN, AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET
                   Auth0: a Machine-to-Machine application's credentials (the secret is never
                   written anywhere)
  AUTH0_API_URL    another Auth0-compatible endpoint instead of https://AUTH0_DOMAIN

Every run keeps a journal (SQLite, mode 0600) in ./.workos-migrate/: a stopped or killed run
resumes where it was, without creating anything twice. Keys are never written to it.

Exit codes: 0 done; 1 could not run (the message says why); 2 finished, but some records did
not make it (see the failures file); 130 stopped (resume it).
`;

const COMMON = `  --journal PATH        the journal file (default: a new one in ./.workos-migrate/)
  --workos-url URL      a WorkOS-compatible endpoint (else WORKOS_API_URL, else the real API)
  --json                NDJSON events on stdout instead of progress lines on stderr
  --yes                 confirm writing to a production environment (sk_live_ key)
  --concurrency N       requests in flight at once (default 16); the rate limits set the pace
  --rate B=L/W          a raised limit, e.g. --rate writes=1000/10s (B: writes, reads, general)
  --debug               show the stack of unexpected errors
  -h, --help            this help`;

export const COMMAND_HELP: Record<string, string> = {
  run: `workos-migrate run: a new migration, from the source into WorkOS, without prompts.

Usage
  workos-migrate run --source file --file PATH [--map COLUMN=FIELD ...] [options]

Source
  --source KIND         file, stytch-b2b, stytch (consumer), better-auth or auth0
  --file PATH           file: a CSV, JSON array or NDJSON export of your users
  --map COLUMN=FIELD    map a column to a field, overriding the guess; repeatable. Fields: id, email,
                        first_name, last_name, name, email_verified, password_hash, password_hash_type,
                        organization_id, organization_name, organization_domains, role, metadata (a JSON
                        object), metadata.KEY,
                        or ignore
  --stytch-project ID   Stytch: the project id (else STYTCH_PROJECT_ID); the secret is read
                        from STYTCH_SECRET, never written anywhere
  --stytch-statuses L   stytch-b2b: member statuses to read, e.g. active (default active,invited,
                        pending: invited and pending members are listed and --invited-members
                        decides; deleted members never are)
  --stytch-password-export PATH
                        Stytch: the decrypted password export from Stytch support (optional)
  --verified-domains    stytch-b2b: import allowed email domains as verified (default pending)
  --implicit-roles keep|drop
                        stytch-b2b: keep roles given by email domain or SSO/SCIM groups (default keep)
  --database-url URL    better-auth: the app's database, postgres://, mysql:// (mariadb://) or a
                        SQLite file (else DATABASE_URL); opened read-only, never written anywhere
  --table T=NAME        better-auth: a renamed table, e.g. --table user=app_users; repeatable
  --column T.C=NAME     better-auth: a renamed column, e.g. --column user.email=email_address
  --better-auth-teams flatten|skip
                        better-auth: each team becomes an organization (flatten) or teams are left
                        out and listed (skip, the default)
  --auth0-export FILE   auth0: a bulk user export you already have (NDJSON, gzip or not) instead
                        of an export job; organizations, members and roles are still read live
  --auth0-password-export FILE
                        auth0: the password hashes from Auth0 support (NDJSON, bcrypt)
  --auth0-mfa-export FILE
                        auth0: the MFA enrollments from Auth0 support: otp secrets become WorkOS
                        TOTP factors; SMS, WebAuthn and recovery codes are listed for re-enrolment
  --auth0-blocked skip|import
                        auth0: blocked users are listed and not imported (skip, the default) or
                        imported as ordinary users (import)

Roles
  --role-map SRC=SLUG   map a source role to a WorkOS role slug; repeatable
  --default-role SLUG   the WorkOS role for source roles with no mapping
  --keep-existing-roles do not change the role of a membership that already exists in WorkOS

Choices (the safe one is the default; the summary says what was done)
  --adopted-passwords source|keep
                        a user already in WorkOS gets the source's password hash (source, the
                        default: the source is the truth until cutover) or keeps its own (keep)
  --invited-members skip|active|invite
                        members only invited in the source: listed and not imported (skip, the
                        default), made active members (active), or sent a WorkOS invitation (invite)

Modes
  --dry-run             read only: check the key, stage the source, find what already exists in
                        WorkOS, and write nothing to WorkOS
  --retry-failed        with --journal: import again the records that failed
  --failures FILE       with --retry-failed: only the records listed in this failures.csv

${COMMON}`,
  resume: `workos-migrate resume: continue a migration from its journal (export, then import).

Usage
  workos-migrate resume [--journal PATH] [options]

Options of run that apply: --role-map, --default-role, --keep-existing-roles, --dry-run,
--adopted-passwords, --invited-members; --database-url (Better Auth: else DATABASE_URL).

Without --journal, the one unfinished migration in ./.workos-migrate/ is resumed.
The key is read again from WORKOS_API_KEY (or .env): the journal never holds it.

${COMMON}`,
  status: `workos-migrate status: counts and phase of a migration, read from its journal (no API call).

Usage
  workos-migrate status [--journal PATH] [--json]
`,
  report: `workos-migrate report: write the report files of a migration.

Usage
  workos-migrate report [--journal PATH] [--out DIR] [--json]

Files: id-map.csv (source_id, email, workos_user_id) with id-map.sql to load it into your
database; failures.csv (every record that did not make it and why; never a password hash);
summary.md.
`,
  verify: `workos-migrate verify: the post-migration checklist, checked against WorkOS.

Usage
  workos-migrate verify [--journal PATH] [--headless] [--json]

Without --journal, the newest migration in ./.workos-migrate/. In a terminal it opens the
checklist in the wizard; without one (or with --headless or --json) it prints the checks and exits
0 when all pass, 2 when one fails (a wrong role, a missing organization or membership, a wrong
external id...), 1 when it cannot run.
`,
  demo: `workos-migrate demo: the whole migration against a local WorkOS sandbox with generated data.

Usage
  workos-migrate demo [--users N] [--organizations N] [--fast] [--headless] [--source file|stytch-b2b|auth0] [--json]

In a terminal it opens the wizard; --headless (or no terminal, or --json) runs the headless flow,
from a generated file, (--source stytch-b2b) a fake Stytch B2B project or (--source auth0) a fake
Auth0 tenant (its bulk export job, organizations, members, roles and password export).

Nothing leaves this machine: the sandbox listens on 127.0.0.1 and enforces WorkOS's real rate
limits (50 writes/s), so you see the pacing a real run gets. --fast lifts the limits.
`,
};

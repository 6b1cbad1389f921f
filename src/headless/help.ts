import { SOURCE_DEFINITIONS, secretFlags } from '../providers/index.js';

export const MAIN_HELP = `workos-migrate: move users, organizations, memberships, roles and password hashes into WorkOS.

Usage
  workos-migrate run --source KIND [options]               a new migration, headless
  workos-migrate resume [--journal PATH]                   continue a stopped migration
  workos-migrate sync [--journal PATH]                     carry what changed in the source since
  workos-migrate status [--journal PATH]                   where a migration stands
  workos-migrate report [--journal PATH] [--out DIR]       write the id map, failures and summary
  workos-migrate                                           the wizard (in a terminal)
  workos-migrate verify [--journal PATH] [--json]          the verification checklist
  workos-migrate verify --sign-in EMAIL                    sign a migrated test account in through WorkOS
  workos-migrate dual-write --out DIR                      write the dual-write module for your app
  workos-migrate lazy --out DIR                            write the lazy-migration sign-in module
  workos-migrate handoffs --journal PATH                   Admin Portal links for SSO/SCIM organizations
  workos-migrate resets --journal PATH [--send] [--yes]    password reset emails (lists them without --send)
  workos-migrate write-ids --journal PATH [--table user]   store each WorkOS id in your app's database
  workos-migrate rollback --journal PATH [--yes]           delete what a migration created (lists it without --yes)
  workos-migrate demo [--users N] [--fast] [--headless]    the whole flow against a local sandbox

Examples
  workos-migrate demo                                      try it against a local sandbox
  workos-migrate                                           migrate, guided step by step
  workos-migrate run --source file --file users.csv --dry-run
  workos-migrate run --source auth0 --auth0-password-export passwords.json
  workos-migrate resume && workos-migrate verify --headless

Run \`workos-migrate COMMAND --help\` for a command's options.

Environment
  WORKOS_API_KEY   the WorkOS secret key (sk_test_... or sk_live_...); also read from ./.env
  WORKOS_API_URL   another WorkOS-compatible endpoint (a proxy, the sandbox); default https://api.workos.com
${SOURCE_DEFINITIONS.map((d) => d.envHelp).filter(Boolean).join('\n')}

Every run keeps a journal (SQLite, mode 0600) in ./.workos-migrate/: a stopped or killed run
resumes where it was, without creating anything twice. Keys are never written to it.

Exit codes: 0 done; 1 could not run (the message says why); 2 finished, but some records did
not make it (see the failures file); 130 stopped (resume it).
`;

const COMMON = `  --workos-url URL      a WorkOS-compatible endpoint (else WORKOS_API_URL, else the real API)
  --json                NDJSON events on stdout instead of progress lines on stderr
  --yes                 confirm writing to a production environment (sk_live_ key)
  --concurrency N       requests in flight at once (default 16); the rate limits set the pace
  --rate B=L/W          a raised limit, e.g. --rate writes=1000/10s (B: writes, reads, general)
  --debug               show the stack of unexpected errors
  -h, --help            this help`;

export const COMMAND_HELP: Record<string, string> = {
  run: `workos-migrate run: a new migration, from the source into WorkOS, without prompts.

Usage
  workos-migrate run --source KIND [source options] [options]

Examples
  workos-migrate run --source file --file users.csv --dry-run
  workos-migrate run --source stytch-b2b --stytch-password-export stytch-passwords.csv
  workos-migrate run --source auth0 --auth0-password-export passwords.json --role-map admin=admin
  workos-migrate run --source better-auth --database-url postgres://app@db/app --default-role member

Source
  --source KIND         ${SOURCE_DEFINITIONS.filter((d) => d.available).map((d) => d.kind).join(', ')}
${SOURCE_DEFINITIONS.filter((d) => d.available).map((d) => d.flagHelp).filter(Boolean).join('\n')}

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

Journal
  --journal PATH        the journal to create (default: a new one in ./.workos-migrate/); with
                        --retry-failed, the finished migration to retry

Strategy
  --strategy freeze|dual-write
                        freeze: sign-ups are off in the source until cutover; the source is
                        counted now and again before the import and at verify, and sign-ups
                        that leaked are named (take them with sync). dual-write: your app
                        mirrors new sign-ups into WorkOS (workos-migrate dual-write --out DIR)

Modes
  --dry-run             read only: check the key, stage the source, find what already exists in
                        WorkOS, and write nothing to WorkOS
  --retry-failed        with --journal: import again the records that failed
  --failures FILE       with --retry-failed: only the records listed in this failures.csv

${COMMON}`,
  resume: `workos-migrate resume: continue a migration from its journal (export, then import).

Usage
  workos-migrate resume [--journal PATH] [options]

Examples
  workos-migrate resume                                   the one unfinished migration here
  workos-migrate resume --journal .workos-migrate/20261130-101500-auth0.db --role-map owner=admin

  --journal PATH        the migration to continue; without it, the one unfinished migration in
                        ./.workos-migrate/ (when there are several, it names them)

Options of run that apply: --role-map, --default-role, --keep-existing-roles, --dry-run,
--adopted-passwords, --invited-members, and the secret-carrying ones (${Object.keys(secretFlags()).map((f) => `--${f}`).join(', ')}).
The key and the source's secrets are read again from the environment (or .env): the journal
never holds them.

${COMMON}`,
  sync: `workos-migrate sync: read the source again and carry what changed since the import.

Usage
  workos-migrate sync [--journal PATH] [--apply-deletions] [options]

Examples
  workos-migrate sync                                     the newest migration here
  workos-migrate sync --journal .workos-migrate/20261130-101500-better-auth.db --apply-deletions

Users, organizations and memberships new in the source are imported; users whose email, names or
(where the source gives them) password hash changed are updated in WorkOS; users gone from the
source are reported, and deleted from WorkOS only with --apply-deletions (never a user that was
already in WorkOS before the migration). Repeat it until cutover; a stopped pass resumes. A
sign-up freeze's snapshot moves to this pass.

  --journal PATH        the migration to sync (default: the newest in ./.workos-migrate/)
  --apply-deletions     delete from WorkOS the users this migration created that are gone from
                        the source

${COMMON}`,
  status: `workos-migrate status: counts and phase of a migration, read from its journal (no API call).

Usage
  workos-migrate status [--journal PATH] [--json]

Without --journal, the newest migration in ./.workos-migrate/.
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

Sign-in check
  workos-migrate verify --sign-in EMAIL [--client-id client_...] [--json]

Signs a migrated test account in through WorkOS (authenticateWithPassword), proving its password
hash carried. The password is read from WORKOS_MIGRATE_TEST_PASSWORD or asked for in a terminal
(never a flag, never stored); the client id from --client-id or WORKOS_CLIENT_ID. Exits 0 when it
signs in, 2 when WorkOS refuses it (the reason says whether the user is missing, has no password
or another one), 1 when it cannot run.
`,
  'dual-write': `workos-migrate dual-write: write the dual-write module for your application.

Usage
  workos-migrate dual-write --out DIR [--force]

Writes workos-dual-write.ts (on @workos-inc/node) and its vitest file into DIR. Your application
calls it after its own writes, so sign-ups, email and password changes and deletions reach WorkOS
while the migration runs; it stores workos_user_id through your callback, and never fails your
sign-up when WorkOS is down (a durable queue delivers later). Users it creates carry your user id
as their external id: the import adopts them, never duplicates them. Where to call it (Better
Auth hooks, Auth0 Actions, a plain handler): docs/dual-write.md.

  --out DIR             where to write the files
  --force               replace files an earlier run wrote (your edits to them are lost)
`,
  lazy: `workos-migrate lazy: write the lazy-migration sign-in module for your application.

Usage
  workos-migrate lazy --out DIR [--force]

For sources whose password hashes cannot leave (Cognito, an export not delivered yet): writes
workos-lazy-migration.ts and its vitest file into DIR. Its signIn(email, password) tries WorkOS
first; a user WorkOS does not know, or holds without a password, is checked against your old
system (your verifyWithOldSystem callback) and then created or given that password, so each user
moves on their next sign-in. A wrong password creates nothing. See docs/lazy-migration.md.

  --out DIR             where to write the files
  --force               replace files an earlier run wrote (your edits to them are lost)
`,
  rollback: `workos-migrate rollback: delete from WorkOS exactly what one migration created.

Usage
  workos-migrate rollback --journal PATH [--yes] [--json]

Without --yes it lists what would be deleted, in which environment, and exits 1. With --yes it
deletes the memberships it made for users that were already in WorkOS and revokes the invitations
it sent, then the users it created (their memberships go with them), then the organizations it
created (one still holding someone else's memberships is kept and named). Users, organizations
and memberships it adopted are never deleted; what the import set on them (a password hash, an
external id) stays. Paced to WorkOS's limits (organizations: 50 deletions a minute). Stopped or
killed, run it again: it goes on where it was and deletes nothing twice. The journal records the
rollback, so status shows it and resume refuses to import into it again.

  --journal PATH        the migration to undo (required)
  --yes                 delete (without it: list only)
  --concurrency N       deletions in flight at once (default 16); the rate limits set the pace
`,
  resets: `workos-migrate resets: password reset emails for the users who need one.

Usage
  workos-migrate resets --journal PATH [--send --yes] [--retry-uncertain] [--json]

The users of password-resets.csv (no password in the source, a hash WorkOS cannot take or
refused), but those who sign in only with a social provider. Without --send it lists them; with
--send --yes WorkOS sends each one a password reset email (its password reset endpoint), paced
to the writes limit. Each user is emailed once: the journal records it before the call, and a run
stopped mid-call reports that user as uncertain instead of emailing them again.

  --send                send the emails (with --yes)
  --yes                 confirm sending (without it: list only, exit 1)
  --retry-uncertain     also send to the users a stop caught mid-call (they may get two emails)
`,
  handoffs: `workos-migrate handoffs: what the operator hands on after the import.

Usage
  workos-migrate handoffs --journal PATH [--return-url URL] [--json]

Writes admin-portal-links.csv into the reports folder: one WorkOS Admin Portal link per
organization that had SSO (intent sso) or Directory Sync / SCIM (intent dsync) in the source, for
its IT admin to set the connection up again. Links expire soon after they are made: run it again
for fresh ones. Also writes sms-reenrol.csv (the users who had SMS as a second factor, which
WorkOS does not have: they enrol TOTP, Magic Auth or a passkey). Then prints what is left to do.

  --return-url URL      where the Admin Portal sends the IT admin when done
`,
  'write-ids': `workos-migrate write-ids: store each user's WorkOS id in your application's database.

Usage
  workos-migrate write-ids --journal PATH [--app-database-url URL] [--table user] [--id-column id]
                           [--column workos_user_id] [--json]

The one write outside WorkOS, and only when you run it: adds the column to the user table if it
is missing and fills it from the id map, in one transaction (MySQL/MariaDB commit the added
column by themselves; the fill is one transaction). For a Better Auth migration the database is
the source's (DATABASE_URL, its renamed user table); otherwise pass --app-database-url
(postgres://, mysql://, or a SQLite file). Verify then checks the column.

  --app-database-url URL  your application's database (its password stays in memory)
  --table NAME            the user table (default: user, or Better Auth's renamed one)
  --id-column NAME        the column holding the source's user id (default: id)
  --column NAME           the column to fill (default: workos_user_id)
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

/**
 * Users, organizations and memberships checked against WorkOS by listing: every record, 100 a read
 * (memberships listed per organization), each page matched against the journal by WorkOS id in a
 * temporary table. Whatever the journal says was imported and no page showed is missing. Checks
 * compare with what the source and the operator's mapping say; an adopted record is held only to
 * what the import set on it (what it left as WorkOS had it was reported then, and is a warning).
 */
import type { Organization, OrganizationMembership, User } from '@workos-inc/node';
import type { RunSettings } from '../journal/types.js';
import { mappedRoleSlugs, sameRoles, type RoleMapping } from '../mapping/roles.js';
import { resolveRoles } from '../migration.js';
import { PASSWORD_STATE_SQL } from '../report/report.js';
import { WorkOSCallError, type WorkOSTarget } from '../workos/target.js';
import { each, jsonList, listPages, type Scratch } from './listing.js';
import { Tally, type CheckContext, type Finding, type VerifyCheck } from './types.js';

/**
 * Runs one listing until its end, or until `onPage` returns false; a stop or a list WorkOS would
 * not give ends it early, said in the tally. `goneIsEmpty`: a 404 (the list's owner deleted) is
 * an empty list.
 */
async function listInto<T>(
  tally: Tally,
  ctx: CheckContext,
  pages: AsyncGenerator<T[]>,
  onPage: (page: T[]) => boolean | void,
  goneIsEmpty = false,
): Promise<boolean> {
  try {
    for await (const page of pages) if (onPage(page) === false) break;
    return true;
  } catch (error) {
    if (ctx.signal?.aborted) tally.incomplete = 'stopped';
    else if (error instanceof WorkOSCallError && error.info.kind === 'not_found' && goneIsEmpty) return true;
    else if (error instanceof WorkOSCallError) tally.incomplete = `WorkOS would not list them: ${error.message}`;
    else throw error;
    return false;
  }
}

const parseJson = <T>(text: string | null): T | undefined => (text ? (JSON.parse(text) as T) : undefined);

/** Worst of several problems with one record, said in one line. */
function findingOf(who: string, fails: string[], warns: string[]): Finding {
  if (!fails.length && !warns.length) return undefined;
  return { level: fails.length ? 'fail' : 'warn', text: `${who}: ${[...fails, ...warns].join('; ')}` };
}

/** Issues the import recorded (a value left as WorkOS had it, a refused domain), found by record. */
function loadIssues(scratch: Scratch): void {
  scratch.exec(`
    CREATE TEMP TABLE IF NOT EXISTS v_issues AS
      SELECT DISTINCT record_kind AS kind, source_id, field, message FROM main.issues
       WHERE record_kind IN ('user', 'organization') AND field IN ('externalId', 'profile', 'domains') AND source_id IS NOT NULL;
    CREATE INDEX IF NOT EXISTS temp.v_issues_key ON v_issues (kind, source_id, field);
  `);
}

const issueSaid = (scratch: Scratch, kind: 'user' | 'organization', sourceId: string, field: string, words?: string) =>
  scratch
    .all<{ message: string }>(`SELECT message FROM v_issues WHERE kind = ? AND source_id = ? AND field = ?`, kind, sourceId, field)
    .some((i) => words === undefined || i.message.includes(words));

// ---- users and their passwords -------------------------------------------------------------------

interface UserRecord {
  vid: number;
  source_id: string;
  email: string;
  email_norm: string;
  first_name: string | null;
  last_name: string | null;
  email_verified: number | null;
  metadata: string | null;
  outcome: string | null;
  workos_id: string | null;
}

export interface UserChecks {
  users: VerifyCheck;
  passwords?: VerifyCheck;
  /** Every user WorkOS listed (the environment's, not only this migration's); undefined if the listing stopped. */
  workosUsers?: number;
}

/** What a user check reads of a WorkOS user (a listed one, or one looked up). */
type SeenUser = Pick<User, 'id' | 'email' | 'emailVerified'> & {
  externalId?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  metadata?: Record<string, string> | null;
};

/** One user as WorkOS has it, against the source (and, adopted, against what the import set). */
function compareUser(scratch: Scratch, r: UserRecord, u: SeenUser): Finding {
  const adopted = r.outcome === 'adopted';
  const fails: string[] = [];
  const warns: string[] = [];
  // What an adopted user had before is left as it was (and reported then): a warning, not wrong.
  const leftAtImport = (field: 'externalId' | 'profile') => adopted && issueSaid(scratch, 'user', r.source_id, field);
  if (u.email.toLowerCase() !== r.email_norm) fails.push(`WorkOS has ${u.email}`);
  if ((u.externalId ?? null) !== r.source_id) {
    const text = `external id is ${u.externalId ?? 'empty'}, expected ${r.source_id}`;
    if (leftAtImport('externalId')) warns.push(`${text} (WorkOS's own, left at import)`);
    else fails.push(text);
  }
  const profile: string[] = [];
  for (const [words, source, theirs] of [
    ['first name', r.first_name, u.firstName],
    ['last name', r.last_name, u.lastName],
  ] as const) {
    // An empty name in the source says nothing; an adopted user's empty one was filled in.
    if (source && theirs !== source) profile.push(theirs ? `${words} differs from the source's` : `no ${words} (the source has one)`);
  }
  if (r.email_verified === 1 && !u.emailVerified) profile.push('email not verified (verified in the source)');
  const metadata = parseJson<Record<string, string>>(r.metadata) ?? {};
  const have = (u.metadata ?? {}) as Record<string, string>;
  const missing = Object.keys(metadata).filter((k) => !Object.hasOwn(have, k));
  const differs = Object.keys(metadata).filter((k) => Object.hasOwn(have, k) && have[k] !== metadata[k]);
  if (missing.length) profile.push(`metadata ${missing.join(', ')} missing`);
  if (differs.length) profile.push(`metadata ${differs.join(', ')} differ${differs.length === 1 ? 's' : ''} from the source's`);
  if (profile.length) {
    if (leftAtImport('profile')) warns.push(`${profile.join(', ')} (left as WorkOS had it at import)`);
    else fails.push(...profile);
  }
  return findingOf(`${r.email}${adopted ? ' (adopted)' : ''}`, fails, warns);
}

/**
 * Every user of the environment listed once; each imported user (a merged duplicate is its kept
 * user) found by its WorkOS id and compared; those no page showed are missing. A WorkOS user that
 * is not the imported one but holds its email or source id says who replaced it. Passwords: WorkOS
 * does not say whether a user has one, so the check rests on the import's record of each hash
 * WorkOS accepted, on the very user it was set on (a user deleted and made again has lost it).
 */
export async function checkUsers(ctx: CheckContext, scratch: Scratch, target: WorkOSTarget): Promise<UserChecks> {
  loadIssues(scratch);
  scratch.exec(`
    CREATE TEMP TABLE v_users (id INTEGER PRIMARY KEY, workos_id TEXT, email_norm TEXT NOT NULL, pstate TEXT,
                               seen INTEGER NOT NULL DEFAULT 0, other_id TEXT, other_holds TEXT);
    INSERT INTO v_users (id, workos_id, email_norm, pstate)
      SELECT id, workos_id, email_norm, ${PASSWORD_STATE_SQL} FROM main.users WHERE state = 'done' AND merged_into IS NULL;
    CREATE INDEX temp.v_users_workos ON v_users (workos_id);
    CREATE INDEX temp.v_users_email ON v_users (email_norm);
  `);
  const total = scratch.get<{ n: number }>(`SELECT COUNT(*) AS n FROM v_users`)!.n;
  const tally = new Tally('users', 'Imported users exist with the right email, names, verification, external id and metadata', 'user');
  let listed = 0;

  /** Compares the page's imported users not compared yet; notes who took a missing one's place. */
  const onPage = (page: SeenUser[]) => {
    listed += page.length;
    const byId = new Map(page.map((u) => [u.id, u]));
    const rows = scratch.all<UserRecord>(
      `SELECT v.id AS vid, u.source_id, u.email, u.email_norm, u.first_name, u.last_name, u.email_verified, u.metadata, u.outcome, u.workos_id
         FROM v_users v JOIN main.users u ON u.id = v.id WHERE v.workos_id IN (SELECT value FROM json_each(?)) AND v.seen = 0`,
      jsonList([...byId.keys()]),
    );
    for (const r of rows) tally.add(compareUser(scratch, r, byId.get(r.workos_id!)!));
    scratch.run(`UPDATE v_users SET seen = 1 WHERE id IN (SELECT value FROM json_each(?))`, jsonList(rows.map((r) => r.vid)));
    // Not an imported user: perhaps the one that took an imported user's place (same email or source id).
    const known = new Set(rows.map((r) => r.workos_id));
    for (const u of page) {
      if (known.has(u.id)) continue;
      scratch.run(`UPDATE v_users SET other_id = ?, other_holds = 'email' WHERE seen = 0 AND email_norm = ?`, u.id, u.email.toLowerCase());
      if (u.externalId) {
        scratch.run(
          `UPDATE v_users SET other_id = ?, other_holds = COALESCE(other_holds, 'external id') WHERE seen = 0 AND id = (SELECT id FROM main.users WHERE source_id = ?)`,
          u.id,
          u.externalId,
        );
      }
    }
    ctx.onProgress?.('users', tally.checked, total);
  };

  // The list is one cursor from its start; a large one is read as a few ranges at once, each
  // starting after an imported user, so the reads go at the bucket's pace, not one round trip's.
  const starts = await segmentStarts(ctx, scratch, target);
  const bounds = [undefined, ...starts].map((after, i) => ({ after, until: starts[i] }));
  let complete = true;
  await each(
    bounds,
    bounds.length,
    async ({ after, until }) => {
      const ok = await listInto(tally, ctx, listPages<User>(target, 'reads', (page) => target.sdk.userManagement.listUsers(page), ctx.signal, after), (page) => {
        const mine = until === undefined ? page : page.filter((u) => u.id <= until);
        onPage(mine);
        return mine.length === page.length && mine.at(-1)?.id !== until;
      });
      complete &&= ok;
    },
    ctx.signal,
  );
  if (ctx.signal?.aborted) {
    complete = false;
    tally.incomplete = 'stopped';
  }
  // Ranges rest on the list's order being its ids' order: an imported user none showed is looked
  // up before it is called missing (a few reads, for what is really gone).
  if (complete && starts.length) complete = await confirmUnseen(ctx, scratch, target, tally, (u) => onPage([u]));

  const passwords = new Tally('passwords', 'Imported passwords are on their users in WorkOS', 'password');
  if (complete) {
    // What no page showed. Read in slices: the connection cannot run statements while iterating.
    let last = 0;
    for (;;) {
      const gone = scratch.all<{ vid: number; email: string; workos_id: string | null; other_id: string | null; other_holds: string | null; pstate: string; password_hash_type: string | null }>(
        `SELECT v.id AS vid, u.email, u.workos_id, v.other_id, v.other_holds, v.pstate, u.password_hash_type
           FROM v_users v JOIN main.users u ON u.id = v.id WHERE v.seen = 0 AND v.id > ? ORDER BY v.id LIMIT 500`,
        last,
      );
      if (!gone.length) break;
      last = gone.at(-1)!.vid;
      for (const g of gone) {
        const instead = g.other_id ? `; ${g.other_id} holds its ${g.other_holds} now` : '';
        tally.add({ level: 'fail', text: g.workos_id ? `${g.email}: no user ${g.workos_id} in WorkOS${instead}` : `${g.email}: done in the journal without a WorkOS id` });
      }
      for (const g of gone.filter((x) => x.pstate === 'set' || x.pstate === 'kept')) {
        const what = g.pstate === 'set' ? `the ${g.password_hash_type ?? 'source'} hash imported` : 'the password it kept';
        passwords.add({ level: 'fail', text: `${g.email}: ${what} was on ${g.workos_id}, which is gone from WorkOS${g.other_id ? `; ${g.other_id} (its ${g.other_holds} now) never got it` : ''}` });
      }
    }
  }
  const users = tally.result(total);
  if (complete) ctx.onProgress?.('users', tally.checked, total);

  const p = scratch.get<{ imported: number; kept: number; rejected: number }>(
    `SELECT COALESCE(SUM(pstate = 'set'), 0) AS imported, COALESCE(SUM(pstate = 'kept'), 0) AS kept, COALESCE(SUM(pstate = 'rejected'), 0) AS rejected FROM v_users`,
  )!;
  const withPassword = p.imported + p.kept;
  let passwordCheck: VerifyCheck | undefined;
  if (withPassword || p.rejected) {
    // Users still there are counted present on the import's word: WorkOS cannot be asked.
    if (complete) while (passwords.checked < withPassword) passwords.add(undefined);
    passwordCheck = passwords.result(withPassword);
    const notes = [
      p.kept ? `${p.kept} adopted kept the password WorkOS had` : '',
      p.rejected ? `${p.rejected} refused by WorkOS at import (in password-resets.csv)` : '',
      "WorkOS does not say whether a user has a password: this rests on the import's record of each hash WorkOS accepted, on the very user it was set on; the sign-in check proves one end to end",
    ].filter(Boolean);
    passwordCheck.detail = withPassword ? `${passwordCheck.detail}; ${notes.join('; ')}` : notes.join('; ');
    if (!withPassword) passwordCheck.status = 'info';
  }
  // Unseen is not gone when the listing did not finish: the memberships' words must not say so.
  if (!complete) scratch.exec(`DROP TABLE v_users`);
  return { users, passwords: passwordCheck, workosUsers: complete ? listed : undefined };
}

/** A range of the users list per this many imported users, at most MAX_RANGES read at once. */
const USERS_PER_RANGE = 5_000;
const MAX_RANGES = 8;
/** Imported users no range showed, each looked up before it is called missing, up to this many. */
const CONFIRM_UP_TO = 1_000;

/**
 * Where the users list's ranges start: imported users' WorkOS ids, evenly spread, each one WorkOS
 * still has (a cursor must be a record of the list; one deleted since gives way to the next).
 */
async function segmentStarts(ctx: CheckContext, scratch: Scratch, target: WorkOSTarget): Promise<string[]> {
  const n = scratch.get<{ n: number }>(`SELECT COUNT(*) AS n FROM v_users WHERE workos_id IS NOT NULL`)!.n;
  const ranges = Math.min(MAX_RANGES, Math.ceil(n / USERS_PER_RANGE));
  const starts: string[] = [];
  try {
    for (let i = 1; i < ranges; i++) {
      let id = scratch.get<{ id: string }>(`SELECT workos_id AS id FROM v_users WHERE workos_id IS NOT NULL ORDER BY workos_id LIMIT 1 OFFSET ?`, Math.floor((i * n) / ranges))?.id;
      for (let tries = 0; id && tries < 3; tries++) {
        if (await target.getUser(id, { signal: ctx.signal })) break;
        id = scratch.get<{ id: string }>(`SELECT workos_id AS id FROM v_users WHERE workos_id > ? ORDER BY workos_id LIMIT 1`, id)?.id;
        if (tries === 2) id = undefined;
      }
      if (id && (!starts.length || id > starts.at(-1)!)) starts.push(id);
    }
  } catch (error) {
    // No range starts to be had: the list is read from its start alone.
    if (!(error instanceof WorkOSCallError) && !ctx.signal?.aborted) throw error;
  }
  return starts;
}

/** Looks up imported users no listing showed (up to CONFIRM_UP_TO); false when stopped. */
async function confirmUnseen(ctx: CheckContext, scratch: Scratch, target: WorkOSTarget, tally: Tally, onFound: (u: SeenUser) => void): Promise<boolean> {
  const unseen = scratch.all<{ workos_id: string }>(`SELECT workos_id FROM v_users WHERE seen = 0 AND workos_id IS NOT NULL ORDER BY id LIMIT ${CONFIRM_UP_TO}`);
  await each(
    unseen,
    8,
    async ({ workos_id }) => {
      try {
        const found = await target.getUser(workos_id, { signal: ctx.signal });
        if (found) onFound(found);
      } catch (error) {
        if (ctx.signal?.aborted) return;
        if (!(error instanceof WorkOSCallError)) throw error;
        // Neither found nor missing: said, and not called missing below.
        scratch.run(`UPDATE v_users SET seen = 1 WHERE workos_id = ?`, workos_id);
        tally.add({ level: 'warn', text: `${workos_id}: not in the listing, and could not be looked up (${error.message})` });
      }
    },
    ctx.signal,
  );
  if (ctx.signal?.aborted) tally.incomplete = 'stopped';
  return !ctx.signal?.aborted;
}

// ---- organizations ---------------------------------------------------------------------------

interface OrgRecord {
  vid: number;
  source_id: string;
  name: string;
  domains: string | null;
  outcome: string | null;
  workos_id: string | null;
}

const verifiedState = (state: string) => String(state).endsWith('verified');

function compareOrganization(scratch: Scratch, r: OrgRecord, o: Organization): Finding {
  const adopted = r.outcome === 'adopted';
  const fails: string[] = [];
  const warns: string[] = [];
  if (o.name !== r.name) (adopted ? warns : fails).push(adopted ? `named ${o.name} in WorkOS (kept when adopted)` : `named ${o.name}`);
  if ((o.externalId ?? null) !== r.source_id) fails.push(`external id is ${o.externalId ?? 'empty'}, expected ${r.source_id}`);
  const have = new Map(o.domains.map((d) => [d.domain.toLowerCase(), d.state as string]));
  for (const d of parseJson<{ domain: string; state: string }[]>(r.domains) ?? []) {
    const state = have.get(d.domain.toLowerCase());
    if (state === undefined) {
      // A domain WorkOS refused at import was reported then (a consumer domain, one taken).
      if (issueSaid(scratch, 'organization', r.source_id, 'domains', `the domain ${d.domain} `)) warns.push(`domain ${d.domain} not in WorkOS (refused at import, reported then)`);
      else fails.push(`domain ${d.domain} missing`);
    } else if (verifiedState(d.state) && !verifiedState(state)) {
      (adopted ? warns : fails).push(`domain ${d.domain} is ${state}, verified in the source`);
    }
  }
  return findingOf(`${r.name} [${r.source_id}]`, fails, warns);
}

export async function checkOrganizations(ctx: CheckContext, scratch: Scratch, target: WorkOSTarget): Promise<VerifyCheck> {
  loadIssues(scratch);
  scratch.exec(`
    CREATE TEMP TABLE v_orgs (id INTEGER PRIMARY KEY, workos_id TEXT, seen INTEGER NOT NULL DEFAULT 0, other_id TEXT);
    INSERT INTO v_orgs (id, workos_id) SELECT id, workos_id FROM main.organizations WHERE state = 'done';
    CREATE INDEX temp.v_orgs_workos ON v_orgs (workos_id);
  `);
  const total = scratch.get<{ n: number }>(`SELECT COUNT(*) AS n FROM v_orgs`)!.n;
  const tally = new Tally('organizations', 'Imported organizations exist with their name, the source id as external id, and their domains', 'organization');
  if (!total) return tally.result(0);
  const complete = await listInto(
    tally,
    ctx,
    listPages<Organization>(target, null, (page) => target.sdk.organizations.listOrganizations(page), ctx.signal),
    (page) => {
      const byId = new Map(page.map((o) => [o.id, o]));
      const rows = scratch.all<OrgRecord>(
        `SELECT v.id AS vid, o.source_id, o.name, o.domains, o.outcome, o.workos_id
           FROM v_orgs v JOIN main.organizations o ON o.id = v.id WHERE v.workos_id IN (SELECT value FROM json_each(?))`,
        jsonList([...byId.keys()]),
      );
      for (const r of rows) tally.add(compareOrganization(scratch, r, byId.get(r.workos_id!)!));
      scratch.run(`UPDATE v_orgs SET seen = 1 WHERE id IN (SELECT value FROM json_each(?))`, jsonList(rows.map((r) => r.vid)));
      const known = new Set(rows.map((r) => r.workos_id));
      for (const o of page) {
        if (known.has(o.id) || !o.externalId) continue;
        scratch.run(`UPDATE v_orgs SET other_id = ? WHERE seen = 0 AND id = (SELECT id FROM main.organizations WHERE source_id = ?)`, o.id, o.externalId);
      }
      ctx.onProgress?.('organizations', tally.checked, total);
    },
  );
  // Unseen is not gone when the listing did not finish: memberships are then asked of every organization.
  if (!complete) scratch.exec(`DROP TABLE v_orgs`);
  else {
    for (const g of scratch.all<{ source_id: string; name: string; workos_id: string | null; other_id: string | null }>(
      `SELECT o.source_id, o.name, o.workos_id, v.other_id FROM v_orgs v JOIN main.organizations o ON o.id = v.id WHERE v.seen = 0 ORDER BY v.id`,
    )) {
      tally.add({
        level: 'fail',
        text: g.other_id
          ? `${g.name} [${g.source_id}]: the external id is on ${g.other_id}, expected ${g.workos_id}, which is gone`
          : `${g.name} [${g.source_id}]: no organization with this external id in WorkOS (deleted, or its external id changed); it was ${g.workos_id}`,
      });
    }
  }
  return tally.result(total);
}

// ---- memberships -----------------------------------------------------------------------------

/**
 * The role mapping the import used: the operator's (settings), completed as the import completed
 * it (a source role that is also an environment role maps to itself, a source's conventional pairs).
 */
export async function roleSettings(ctx: CheckContext, target: WorkOSTarget): Promise<RoleMapping> {
  const settings = ctx.journal.settings;
  const explicit = settings.roleMap ?? {};
  let roleMap = explicit;
  try {
    const slugs = (await target.listEnvironmentRoles({ signal: ctx.signal })).map((r) => r.slug);
    roleMap = { ...resolveRoles(ctx.journal, slugs, explicit, settings.defaultRole).roleMap, ...explicit };
  } catch (error) {
    // Stopped, or the roles cannot be listed: the operator's own mapping is what is known.
    if (!(error instanceof WorkOSCallError) && !ctx.signal?.aborted) throw error;
  }
  return { roleMap, defaultRole: settings.defaultRole, multipleRoles: settings.multipleRoles };
}

interface MembershipRecord {
  vid: number;
  user_id: string;
  user_source_id: string;
  org_source_id: string;
  roles: string;
  role_slugs: string | null;
  outcome: string | null;
}

/** Organizations whose memberships are listed at once. */
const ORGANIZATIONS_AT_ONCE = 16;

const parseSlugs = (json: string | null): string[] | null => (json ? (JSON.parse(json) as string[]) : null);
const listed = (slugs: string[]) => slugs.join(', ') || '(none)';

function compareMembership(r: MembershipRecord, m: OrganizationMembership, roles: RoleMapping, settings: RunSettings): Finding {
  const who = `${r.user_source_id} in ${r.org_source_id}`;
  const adopted = r.outcome === 'adopted';
  const status = (m as { status?: string }).status ?? 'active';
  const statusProblem = status === 'active' ? undefined : `status ${status}, expected active`;
  const found = m.roles?.length ? m.roles.map((x) => x.slug) : m.role ? [m.role.slug] : [];
  const sourceRoles = JSON.parse(r.roles) as string[];
  const expected = mappedRoleSlugs(sourceRoles, roles);
  let role: Finding;
  // No mapped role: it was given the environment's default, which the API does not name.
  if (expected.length && !sameRoles(found, expected)) {
    const keptAtImport = parseSlugs(r.role_slugs);
    if (settings.updateExistingRoles === false && adopted && keptAtImport && sameRoles(found, keptAtImport)) {
      role = { level: 'warn', text: `${who}: kept at ${listed(found)} by --keep-existing-roles; the source role ${listed(sourceRoles)} maps to ${listed(expected)}` };
    } else role = { level: 'fail', text: `${who}: role ${listed(found)}, expected ${listed(expected)} (source role ${listed(sourceRoles)})` };
  }
  if (!statusProblem) return role;
  const level = role?.level === 'fail' || !adopted ? 'fail' : 'warn';
  return { level, text: role ? `${role.text}; ${statusProblem}` : `${who}: ${statusProblem}` };
}

/**
 * Each organization holding imported memberships has its memberships listed (100 a read); each
 * imported membership (a merged duplicate's is its kept user's; an invited member sent an
 * invitation has none) is found by user and organization. Organizations the organization check
 * found gone are not asked: their memberships went with them.
 */
export async function checkMemberships(ctx: CheckContext, scratch: Scratch, target: WorkOSTarget): Promise<VerifyCheck> {
  scratch.exec(`
    CREATE TEMP TABLE v_members (id INTEGER PRIMARY KEY, org_id TEXT, user_id TEXT, seen INTEGER NOT NULL DEFAULT 0);
    INSERT INTO v_members (id, org_id, user_id)
      SELECT id, org_workos_id, user_workos_id FROM main.memberships_resolved WHERE state = 'done' AND imported_as IS NOT 'invitation';
    CREATE INDEX temp.v_members_key ON v_members (org_id, user_id);
  `);
  const total = scratch.get<{ n: number }>(`SELECT COUNT(*) AS n FROM v_members`)!.n;
  const tally = new Tally('memberships', 'Memberships exist with the mapped role, active', 'membership');
  if (!total) return tally.result(0);
  if (ctx.signal?.aborted) {
    tally.incomplete = 'stopped';
    return tally.result(total);
  }
  const roles = await roleSettings(ctx, target);
  const settings = ctx.journal.settings;
  const hasOrgs = !!scratch.get(`SELECT 1 FROM sqlite_temp_master WHERE name = 'v_orgs'`);
  const goneOrg = hasOrgs ? `EXISTS (SELECT 1 FROM v_orgs o WHERE o.workos_id = m.org_id AND o.seen = 0)` : '0';

  let complete = true;
  let after = '';
  while (complete && !ctx.signal?.aborted) {
    const orgs = scratch.all<{ org_id: string }>(
      `SELECT DISTINCT org_id FROM v_members m WHERE org_id > ? AND NOT ${goneOrg} ORDER BY org_id LIMIT 500`,
      after,
    );
    if (!orgs.length) break;
    after = orgs.at(-1)!.org_id;
    // Organizations' lists are independent: a few at once keep the reads at the bucket's pace.
    await each(
      orgs,
      ORGANIZATIONS_AT_ONCE,
      async ({ org_id }) => {
        if (!complete) return;
        const ok = await listInto(
          tally,
          ctx,
          listPages<OrganizationMembership>(
            target,
            'reads',
            (page) => target.sdk.userManagement.listOrganizationMemberships({ organizationId: org_id, statuses: ['active', 'inactive', 'pending'], ...page }),
            ctx.signal,
          ),
          (page) => {
            const byUser = new Map(page.map((m) => [m.userId, m]));
            const rows = scratch.all<MembershipRecord>(
              `SELECT v.id AS vid, v.user_id, m.user_source_id, m.org_source_id, m.roles, m.role_slugs, m.outcome
                 FROM v_members v JOIN main.memberships m ON m.id = v.id
                WHERE v.org_id = ? AND v.user_id IN (SELECT value FROM json_each(?)) AND v.seen = 0`,
              org_id,
              jsonList([...byUser.keys()]),
            );
            for (const r of rows) tally.add(compareMembership(r, byUser.get(r.user_id)!, roles, settings));
            scratch.run(`UPDATE v_members SET seen = 1 WHERE id IN (SELECT value FROM json_each(?))`, jsonList(rows.map((r) => r.vid)));
            ctx.onProgress?.('memberships', tally.checked, total);
          },
          true,
        );
        complete &&= ok;
      },
      ctx.signal,
    );
  }
  if (ctx.signal?.aborted) {
    complete = false;
    tally.incomplete = 'stopped';
  }
  if (complete) {
    const goneUser = scratch.get(`SELECT 1 FROM sqlite_temp_master WHERE name = 'v_users'`) ? `EXISTS (SELECT 1 FROM v_users u WHERE u.workos_id = m.user_id AND u.seen = 0)` : '0';
    let last = 0;
    for (;;) {
      const gone = scratch.all<{ vid: number; user_source_id: string; org_source_id: string; ids: number; org_gone: number; user_gone: number }>(
        `SELECT m.id AS vid, j.user_source_id, j.org_source_id, (m.user_id IS NOT NULL AND m.org_id IS NOT NULL) AS ids,
                ${goneOrg} AS org_gone, ${goneUser} AS user_gone
           FROM v_members m JOIN main.memberships j ON j.id = m.id WHERE m.seen = 0 AND m.id > ? ORDER BY m.id LIMIT 500`,
        last,
      );
      if (!gone.length) break;
      last = gone.at(-1)!.vid;
      for (const g of gone) {
        const who = `${g.user_source_id} in ${g.org_source_id}`;
        const why = g.org_gone ? ' (its organization is gone)' : g.user_gone ? ' (its user is gone)' : '';
        tally.add({ level: 'fail', text: g.ids ? `${who}: no membership in WorkOS${why}` : `${who}: its user or organization has no WorkOS id in the journal` });
      }
    }
    ctx.onProgress?.('memberships', tally.checked, total);
  }
  return tally.result(total);
}

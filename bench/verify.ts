/**
 * Full verification of 100,000 users (BENCH_VERIFY_USERS) against the sandbox at WorkOS's REAL
 * read limit (1,000 per 10 s). The sandbox is seeded directly (users with a pbkdf2 hash, a
 * verified domain per organization, one membership per user over BENCH_VERIFY_ORGS organizations)
 * and the journal is written as an import would leave it, rather than importing 100k users through
 * the API. The verification itself runs in a child process, so its peak RSS is its own (the
 * sandbox's 100k users live in this one).
 *
 * Prints the read calls of the users listing against users / 100 (target <= 1.2), all reads of the
 * verification against (users + memberships) / 100 (memberships are listed per organization: at
 * least one read per organization), elapsed time and the child's peak RSS.
 *
 *   npx tsx bench/verify.ts
 *   BENCH_VERIFY_USERS=300000 BENCH_VERIFY_ORGS=3000 BENCH_VERIFY_HEAP_MB=40 npx tsx bench/verify.ts
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { knownPassword, pbkdf2Hash } from '../src/sandbox/dataset.js';
import { REAL_LIMITS, startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { Journal } from '../src/services/journal/journal.js';
import { runVerification } from '../src/services/verify.js';
import { WorkOSTarget } from '../src/services/workos/target.js';

export interface VerifyBenchResult {
  users: number;
  memberships: number;
  organizations: number;
  /** GET /user_management/users, the listing plus the one read proving the key. */
  userReads: number;
  /** userReads / (users / 100): target <= 1.2. */
  userRatio: number;
  /** GET /user_management/organization_memberships. */
  membershipReads: number;
  /** Every call in the reads bucket. */
  reads: number;
  /** reads / ((users + memberships) / 100). */
  readRatio: number;
  /** GET /organizations (the general bucket only). */
  organizationReads: number;
  /** Per-record reads (get user, by external id): 0 when every record is checked by listing. */
  perRecordReads: number;
  seconds: number;
  peakRssMb: number;
  /** Check id -> status, and every check passed. */
  statuses: Record<string, string>;
  passed: boolean;
}

interface ChildResult {
  seconds: number;
  peakRssMb: number;
  statuses: Record<string, string>;
  failed: string[];
}

/** The child: the verification alone, at the real limits, printing its figures as JSON. */
async function child(journalPath: string, apiUrl: string, apiKey: string): Promise<void> {
  const journal = Journal.open(journalPath);
  const started = performance.now();
  const report = await runVerification(journal, new WorkOSTarget({ apiKey, apiUrl }), {
    onProgress: (check, done, total) => {
      if (done === total || done % 10_000 === 0) process.stderr.write(`  ${((performance.now() - started) / 1000).toFixed(1)} s ${check} ${done}/${total}\n`);
    },
  });
  const seconds = (performance.now() - started) / 1000;
  journal.close();
  const result: ChildResult = {
    seconds,
    // resourceUsage().maxRSS is in kilobytes.
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    statuses: Object.fromEntries(report.checks.map((c) => [c.id, c.status])),
    failed: report.checks.filter((c) => c.status === 'fail').map((c) => `${c.id}: ${c.detail} ${JSON.stringify(c.examples ?? [])}`),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/**
 * A journal at `journalPath` saying `users` users (one membership each, over `organizations`
 * organizations with a verified domain; every tenth an admin) were imported, and the sandbox
 * holding exactly them, seeded directly: what an import would leave, without 100k API writes.
 */
export function seedImported(sandbox: Sandbox, journalPath: string, users: number, organizations: number): string {
  const pad = (i: number) => String(i).padStart(7, '0');
  // One hash for everyone: computing 100k pbkdf2 hashes would time the seeding, not the check.
  const hash = pbkdf2Hash(knownPassword('bench'));
  const orgs = Array.from({ length: organizations }, (_, i) => ({ sourceId: `org_${pad(i)}`, name: `Org ${i}`, domain: `org${i}.example.com` }));
  const people = Array.from({ length: users }, (_, i) => ({
    sourceId: `usr_${pad(i)}`,
    email: `user.${i}@example.com`,
    firstName: `First${i}`,
    lastName: `Last${i}`,
    org: orgs[i % organizations].sourceId,
    role: i % 10 === 0 ? 'admin' : 'member',
  }));

  const journal = Journal.create(journalPath, {
    version: 1,
    source: { kind: 'test', options: {} },
    workos: { apiKeyEnv: 'WORKOS_API_KEY', apiUrl: sandbox.url },
    roleMap: { admin: 'admin', member: 'member' },
    createdAt: new Date().toISOString(),
  });
  journal.beginBulk();
  for (let i = 0; i < people.length; i += 5_000) {
    const slice = people.slice(i, i + 5_000);
    journal.stageBatch({
      organizations: i === 0 ? orgs.map((o) => ({ sourceId: o.sourceId, name: o.name, domains: [{ domain: o.domain, state: 'verified' as const }] })) : [],
      users: slice.map((p) => ({ sourceId: p.sourceId, email: p.email, firstName: p.firstName, lastName: p.lastName, emailVerified: true, passwordHash: hash, passwordHashType: 'pbkdf2', metadata: { plan: 'pro' } })),
      memberships: slice.map((p) => ({ userSourceId: p.sourceId, orgSourceId: p.org, roles: [p.role] })),
    });
  }
  journal.endBulk();
  journal.finalizeStaging();
  journal.close();

  // WorkOS as the import would have left it, and the journal saying so.
  const orgIds = new Map<string, string>();
  for (const o of orgs) orgIds.set(o.sourceId, sandbox.seedOrganization({ name: o.name, external_id: o.sourceId, domains: [o.domain] }).id);
  const userIds: [string, string][] = [];
  for (const p of people) {
    const u = sandbox.seedUser({ email: p.email, first_name: p.firstName, last_name: p.lastName, external_id: p.sourceId, email_verified: true, metadata: { plan: 'pro' }, password_hash: hash, password_hash_type: 'pbkdf2' });
    userIds.push([p.sourceId, u.id]);
    sandbox.seedMembership({ user_id: u.id, organization_id: orgIds.get(p.org)!, role_slug: p.role });
  }
  const db = new Database(journalPath);
  db.transaction(() => {
    const org = db.prepare(`UPDATE organizations SET state = 'done', outcome = 'created', workos_id = ? WHERE source_id = ?`);
    for (const [sourceId, id] of orgIds) org.run(id, sourceId);
    const user = db.prepare(`UPDATE users SET state = 'done', outcome = 'created', password_state = 'set', password_hash = NULL, workos_id = ? WHERE source_id = ?`);
    for (const [sourceId, id] of userIds) user.run(id, sourceId);
    db.exec(`UPDATE memberships SET state = 'done', outcome = 'created', imported_as = 'membership', role_slugs = roles`);
    db.exec(`UPDATE meta SET value = '"imported"' WHERE key = 'phase'`);
  })();
  db.close();
  return journalPath;
}

export async function benchVerify(users = Number(process.env.BENCH_VERIFY_USERS ?? 100_000), organizations = Number(process.env.BENCH_VERIFY_ORGS ?? 1_000)): Promise<VerifyBenchResult> {
  const sandbox = await startSandbox({ limits: false });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wm-bench-verify-'));
  try {
    const seedStarted = performance.now();
    const journalPath = seedImported(sandbox, path.join(dir, 'bench.db'), users, organizations);
    process.stderr.write(`verify bench: seeded ${users.toLocaleString('en-US')} users in ${organizations.toLocaleString('en-US')} organizations in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s\n`);

    // The real read ceiling from here on (the seeding above went in through the back door).
    sandbox.setLimits(REAL_LIMITS);
    sandbox.resetStats();
    const tsx = pathToFileURL(path.join(import.meta.dirname, '../node_modules/tsx/dist/loader.mjs')).href;
    const out = await new Promise<string>((resolve, reject) => {
      const proc = execFile(
        process.execPath,
        [
          // BENCH_VERIFY_HEAP_MB caps the child's heap: a verification that held what it listed would not finish.
          ...(process.env.BENCH_VERIFY_HEAP_MB ? [`--max-old-space-size=${process.env.BENCH_VERIFY_HEAP_MB}`] : []),
          '--import',
          tsx,
          import.meta.filename,
          'child',
          journalPath,
          sandbox.url,
          sandbox.apiKey,
        ],
        { encoding: 'utf8', maxBuffer: 1 << 22 },
        (error, stdout) => (error ? reject(error) : resolve(stdout)),
      );
      proc.stderr?.pipe(process.stderr);
    });
    const r = JSON.parse(out.trim().split('\n').at(-1)!) as ChildResult;
    if (r.failed.length) process.stderr.write(`failed checks:\n${r.failed.join('\n')}\n`);
    const stats = sandbox.stats();
    const calls = (route: string) => Object.values(stats.byRoute[route] ?? {}).reduce((a, b) => a + b, 0);
    const userReads = calls('GET /user_management/users');
    const membershipReads = calls('GET /user_management/organization_memberships');
    const memberships = users;
    return {
      users,
      memberships,
      organizations,
      userReads,
      userRatio: userReads / (users / 100),
      membershipReads,
      reads: stats.byBucket.reads,
      readRatio: stats.byBucket.reads / ((users + memberships) / 100),
      organizationReads: calls('GET /organizations'),
      perRecordReads: calls('GET /user_management/users/:id') + calls('GET /user_management/users/external_id/:id') + calls('GET /organizations/external_id/:id'),
      seconds: r.seconds,
      peakRssMb: r.peakRssMb,
      statuses: r.statuses,
      passed: r.failed.length === 0,
    };
  } finally {
    await sandbox.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** One line for `npm run bench`, and whether it meets the target. */
export function verifyLine(r: VerifyBenchResult): { line: string; pass: boolean } {
  // Per-record reads: only the look-ups of where the users list's ranges start (at most 7).
  const pass = r.userRatio <= 1.2 && r.readRatio <= 1.2 && r.perRecordReads <= 7 && r.passed;
  const n = (x: number) => x.toLocaleString('en-US');
  return {
    pass,
    line:
      `verify          ${n(r.users)} users: ${n(r.userReads)} user list reads = ${r.userRatio.toFixed(3)} x (users / 100) (target <= 1.2); ` +
      `${n(r.membershipReads)} membership list reads for ${n(r.memberships)} memberships in ${n(r.organizations)} organizations; ` +
      `all reads ${n(r.reads)} = ${r.readRatio.toFixed(3)} x ((users + memberships) / 100); ${n(r.organizationReads)} organization list reads; ` +
      `${r.perRecordReads} per-record reads (where the users list's ranges start); ${r.seconds.toFixed(1)} s; peak RSS ${r.peakRssMb.toFixed(0)} MB; checks ${r.passed ? 'all passed' : 'FAILED'}  ${pass ? 'PASS' : 'FAIL'}`,
  };
}

if (process.argv[2] === 'child') {
  await child(process.argv[3], process.argv[4], process.argv[5]);
} else if (import.meta.filename === process.argv[1] || process.argv[1]?.endsWith('bench/verify.ts')) {
  const { line, pass } = verifyLine(await benchVerify());
  process.stdout.write(`${line}\n`);
  process.exitCode = pass ? 0 : 1;
}

import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { redactSecret } from '../../src/services/import/importer.js';
import { Journal } from '../../src/services/journal/journal.js';
import { totpSecretOf, userRows } from '../../src/services/journal/rows.js';
import { MIGRATIONS } from '../../src/services/journal/schema.js';
import { readFailuresFile, writeReports } from '../../src/services/report/report.js';
import type { RunSettings } from '../../src/services/journal/types.js';
import { tempDir } from '../helpers.js';

const settings = (): RunSettings => ({
  version: 1,
  source: { kind: 'test', options: {} },
  workos: { apiKeyEnv: 'WORKOS_API_KEY' },
  createdAt: new Date().toISOString(),
});

describe('TOTP secrets in the journal', () => {
  it('are staged normalized (grouped, lower case) as the last cell of a user row; a carried TOTP is not one to re-enroll', () => {
    const [withSecret, without] = userRows([
      { sourceId: 'u1', email: 'a@x.com', totpSecret: 'jbsw y3dp-ehpk 3pxp', mfa: { totp: true, sms: true } },
      { sourceId: 'u2', email: 'b@x.com', mfa: { totp: true } },
    ]);
    expect(withSecret).toHaveLength(13);
    expect(withSecret[12]).toBe('JBSWY3DPEHPK3PXP');
    expect(withSecret[10]).toBe(JSON.stringify({ sms: true }));
    expect(without[12]).toBeNull();
    expect(without[10]).toBe(JSON.stringify({ totp: true }));
    expect(totpSecretOf('  ')).toBeNull();
    expect(totpSecretOf(undefined)).toBeNull();
  });

  it('stages through stageBatch (objects, worker rows, and rows without the cell), pending only where there is a secret', () => {
    const journal = Journal.create(path.join(tempDir(), 'j.db'), settings());
    journal.stageBatch({ users: [{ sourceId: 'u1', email: 'a@x.com', totpSecret: 'JBSWY3DPEHPK3PXP' }, { sourceId: 'u2', email: 'b@x.com' }] });
    journal.stageBatch({ rows: { users: userRows([{ sourceId: 'u3', email: 'c@x.com', totpSecret: 'KRSXG5CTMVRXEZLU' }]), memberships: [] } });
    // A row as an older worker built it: twelve cells.
    journal.stageBatch({ rows: { users: [userRows([{ sourceId: 'u4', email: 'd@x.com' }])[0].slice(0, 12)], memberships: [] } });
    const rows = journal.all<{ source_id: string; totp_secret: string | null; totp_state: string | null }>(`SELECT source_id, totp_secret, totp_state FROM users ORDER BY id`);
    expect(rows).toEqual([
      { source_id: 'u1', totp_secret: 'JBSWY3DPEHPK3PXP', totp_state: 'pending' },
      { source_id: 'u2', totp_secret: null, totp_state: null },
      { source_id: 'u3', totp_secret: 'KRSXG5CTMVRXEZLU', totp_state: 'pending' },
      { source_id: 'u4', totp_secret: null, totp_state: null },
    ]);
    expect(journal.factorCounts()).toMatchObject({ total: 2, pending: 2, waiting: 2 });
    journal.close();
  });

  it('a failed factor keeps its secret and goes back to pending with --retry-failed; done and skipped ones lose theirs', () => {
    const journal = Journal.create(path.join(tempDir(), 'j.db'), settings());
    journal.stageBatch({
      users: ['A', 'B', 'C'].map((c, i) => ({ sourceId: `u${i}`, email: `${c}@x.com`, totpSecret: `${c}BSWY3DPEHPK3PXP` })),
    });
    const ids = journal.all<{ id: number }>(`SELECT id FROM users ORDER BY id`).map((r) => r.id);
    journal.markFactorDone(ids[0], 'auth_factor_1');
    journal.markFactorFailed(ids[1], 'invalid_totp_secret', 'refused');
    journal.markFactorSkipped(ids[2], 'existing_factor', 'has one');
    const secrets = () => journal.all<{ totp_secret: string | null }>(`SELECT totp_secret FROM users ORDER BY id`).map((r) => r.totp_secret);
    expect(secrets()).toEqual([null, 'BBSWY3DPEHPK3PXP', null]);
    expect(journal.resetFailed()).toBeGreaterThanOrEqual(1);
    expect(journal.get<{ totp_state: string; totp_error: string | null }>(`SELECT totp_state, totp_error FROM users WHERE id = ?`, ids[1])).toEqual({ totp_state: 'pending', totp_error: null });
    journal.close();
  });

  it('a failed factor is listed in failures.csv (kind factor, never the secret) and retried from it with --failures', () => {
    const journal = Journal.create(path.join(tempDir(), 'j.db'), settings());
    journal.stageBatch({ users: [{ sourceId: 'u0', email: 'a@x.com', totpSecret: 'JBSWY3DPEHPK3PXP' }, { sourceId: 'u1', email: 'b@x.com', totpSecret: 'KRSXG5CTMVRXEZLU' }] });
    const [a, b] = journal.all<{ id: number }>(`SELECT id FROM users ORDER BY id`).map((r) => r.id);
    journal.markDone('user', a, 'user_a', 'created');
    journal.markDone('user', b, 'user_b', 'created');
    journal.markFactorFailed(a, 'transient', 'the TOTP factor was not enrolled: network error');
    journal.markFactorFailed(b, 'transient', 'the TOTP factor was not enrolled: network error');
    const reports = writeReports(journal);
    const text = fs.readFileSync(reports.failures, 'utf8');
    expect(text).toMatch(/^factor,u0,a@x\.com,,failed,transient,/m);
    expect(text).not.toContain('JBSWY3DP');
    const only = readFailuresFile(reports.failures).filter((r) => r.sourceId === 'u0');
    expect(only).toEqual([{ kind: 'user', sourceId: 'u0' }]);
    journal.resetFailed(only);
    expect(journal.all<{ totp_state: string }>(`SELECT totp_state FROM users ORDER BY id`).map((r) => r.totp_state)).toEqual(['pending', 'failed']);
    journal.close();
  });

  it('a journal written before (schema 3) opens with no TOTP to enroll', () => {
    const file = path.join(tempDir(), 'old.db');
    Journal.create(file, settings()).close();
    // Rebuild it as schema 3 wrote it, with a user.
    fs.rmSync(file);
    const db = new Database(file);
    for (const sql of MIGRATIONS.slice(0, 3)) db.exec(sql);
    db.pragma('user_version = 3');
    db.prepare(`INSERT INTO meta (key, value) VALUES ('settings', ?)`).run(JSON.stringify(settings()));
    db.prepare(`INSERT INTO users (source_id, email, email_norm, state) VALUES ('u1', 'a@x.com', 'a@x.com', 'done')`).run();
    db.close();
    const journal = Journal.open(file);
    expect(journal.get<{ totp_state: string | null; totp_attempts: number }>(`SELECT totp_state, totp_attempts FROM users`)).toEqual({ totp_state: null, totp_attempts: 0 });
    expect(journal.factorCounts().total).toBe(0);
    journal.close();
  });

  it('is taken out of WorkOS answers, grouped or not, in any case', () => {
    const secret = 'JBSWY3DPEHPK3PXP';
    expect(redactSecret(`totp_secret JBSWY3DPEHPK3PXP is bad; jbsw y3dp ehpk 3pxp too`, secret)).toBe('totp_secret [secret] is bad; [secret] too');
    expect(redactSecret('nothing here', secret)).toBe('nothing here');
    expect(redactSecret('a+b', null)).toBe('a+b');
  });
});

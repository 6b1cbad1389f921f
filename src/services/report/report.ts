import fs from 'node:fs';
import path from 'node:path';
import { ExpectedError } from '../../errors.js';
import type { Journal } from '../journal/journal.js';
import type { RecordKind } from '../journal/types.js';

export interface ReportPaths {
  dir: string;
  idMap: string;
  idMapSql: string;
  failures: string;
  summary: string;
}

/**
 * RFC 4180 quoting. Values are written exactly (no formula-defusing prefix): these files are read
 * by SQL loads and by --retry-failed, where `-42` must stay `-42`.
 */
export function csvField(value: unknown): string {
  const text = value === null || value === undefined ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const csvLine = (fields: unknown[]) => `${fields.map(csvField).join(',')}\n`;

export function reportDir(journal: Journal): string {
  return journal.path.replace(/\.db$/, '') + '.reports';
}

/** Streams rows to a file in chunks, so a million-row report never sits in memory whole. */
function writeRows(file: string, header: string[], rows: Iterable<unknown[]>): number {
  const fd = fs.openSync(file, 'w', 0o600);
  let count = 0;
  try {
    let chunk = csvLine(header);
    for (const row of rows) {
      chunk += csvLine(row);
      count++;
      if (chunk.length > 1 << 16) {
        fs.writeSync(fd, chunk);
        chunk = '';
      }
    }
    fs.writeSync(fd, chunk);
  } finally {
    fs.closeSync(fd);
  }
  return count;
}

export const FAILURES_HEADER = ['kind', 'source_id', 'label', 'origin', 'state', 'code', 'reason'];

/**
 * The id map (source id -> WorkOS user id) with an SQL template to load it, the failures file
 * (every record that did not make it, and every source row that could not be read, with the
 * reason: never a password hash), and a Markdown summary.
 */
export function writeReports(journal: Journal, dir = reportDir(journal)): ReportPaths & { failureCount: number; mapped: number } {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (error) {
    throw new ExpectedError(`Cannot write the reports to ${dir}: ${(error as Error).message}.`, 'Choose a writable folder with --out.');
  }
  const paths: ReportPaths = {
    dir,
    idMap: path.join(dir, 'id-map.csv'),
    idMapSql: path.join(dir, 'id-map.sql'),
    failures: path.join(dir, 'failures.csv'),
    summary: path.join(dir, 'summary.md'),
  };

  const mapped = writeRows(
    paths.idMap,
    ['source_id', 'email', 'workos_user_id'],
    (function* () {
      for (const row of journal.iterate<{ source_id: string; email: string; workos_id: string }>(
        `SELECT source_id, email, workos_id FROM users WHERE state = 'done' ORDER BY id`,
      )) {
        yield [row.source_id, row.email, row.workos_id];
      }
    })(),
  );

  fs.writeFileSync(paths.idMapSql, idMapSql(), { mode: 0o600 });

  const failureCount = writeRows(
    paths.failures,
    FAILURES_HEADER,
    (function* () {
      const queries: [RecordKind, string][] = [
        ['organization', `SELECT source_id, name AS label, origin, state, error_code, last_error FROM organizations WHERE state IN ('failed', 'skipped') ORDER BY id`],
        ['user', `SELECT source_id, email AS label, origin, state, error_code, last_error FROM users WHERE state IN ('failed', 'skipped') ORDER BY id`],
        [
          'membership',
          `SELECT user_source_id || char(31) || org_source_id AS source_id, user_source_id || ' in ' || org_source_id AS label, origin, state, error_code, last_error
             FROM memberships WHERE state IN ('failed', 'skipped') ORDER BY id`,
        ],
      ];
      for (const [kind, sql] of queries) {
        for (const r of journal.iterate<{ source_id: string; label: string; origin: string | null; state: string; error_code: string | null; last_error: string | null }>(sql)) {
          yield [kind, r.source_id, r.label, r.origin, r.state, r.error_code, r.last_error];
        }
      }
      // Problems in the source that no failed or skipped record already explains: rows that never
      // became a record (unreadable, no email...), and data a record could not carry (a second
      // email under one id...).
      for (const issue of journal.iterate<{ location: string; field: string | null; message: string; record_kind: string | null; source_id: string | null }>(
        `SELECT location, field, message, record_kind, source_id FROM issues i
          WHERE severity = 'error'
            AND NOT EXISTS (SELECT 1 FROM users u WHERE i.record_kind = 'user' AND u.source_id = i.source_id AND u.state IN ('failed', 'skipped'))
            AND NOT EXISTS (SELECT 1 FROM organizations o WHERE i.record_kind = 'organization' AND o.source_id = i.source_id AND o.state IN ('failed', 'skipped'))
          ORDER BY id`,
      )) {
        const unreadable = !issue.source_id;
        yield [unreadable ? 'row' : issue.record_kind ?? 'row', issue.source_id ?? '', '', issue.location, unreadable ? 'unreadable' : 'not_imported', issue.field ?? '', issue.message];
      }
    })(),
  );

  fs.writeFileSync(paths.summary, summaryMarkdown(journal, paths, failureCount), { mode: 0o600 });
  return { ...paths, failureCount, mapped };
}

function idMapSql(): string {
  return `-- workos-migrate: store each user's WorkOS id in your application's database.
-- id-map.csv (beside this file) holds: source_id, email, workos_user_id.
--
-- 1. Once: add the column.
--      ALTER TABLE users ADD COLUMN workos_user_id VARCHAR(64);
--
-- 2. PostgreSQL (psql):
CREATE TEMP TABLE workos_id_map (source_id TEXT PRIMARY KEY, email TEXT, workos_user_id TEXT NOT NULL);
\\copy workos_id_map FROM 'id-map.csv' WITH (FORMAT csv, HEADER true)
UPDATE users SET workos_user_id = m.workos_user_id
  FROM workos_id_map m
 WHERE users.id::text = m.source_id;   -- replace users.id with the column that held the source id
--
-- 2'. MySQL / MariaDB:
--   CREATE TEMPORARY TABLE workos_id_map (source_id VARCHAR(255) PRIMARY KEY, email VARCHAR(320), workos_user_id VARCHAR(64) NOT NULL);
--   LOAD DATA LOCAL INFILE 'id-map.csv' INTO TABLE workos_id_map FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '"' IGNORE 1 LINES;
--   UPDATE users u JOIN workos_id_map m ON CAST(u.id AS CHAR) = m.source_id SET u.workos_user_id = m.workos_user_id;
`;
}

function summaryMarkdown(journal: Journal, paths: ReportPaths, failureCount: number): string {
  const counts = journal.counts();
  const settings = journal.settings;
  const rows = (['organization', 'user', 'membership'] as const).map((kind) => {
    const c = counts[kind];
    return `| ${kind}s | ${c.total} | ${c.done - c.adopted} | ${c.adopted} | ${c.failed} | ${c.skipped} | ${c.pending + c.in_flight} |`;
  });
  const codes = journal.all<{ kind: string; code: string; n: number }>(
    `SELECT 'user' AS kind, error_code AS code, COUNT(*) AS n FROM users WHERE state IN ('failed','skipped') GROUP BY error_code
     UNION ALL SELECT 'organization', error_code, COUNT(*) FROM organizations WHERE state IN ('failed','skipped') GROUP BY error_code
     UNION ALL SELECT 'membership', error_code, COUNT(*) FROM memberships WHERE state IN ('failed','skipped') GROUP BY error_code
     ORDER BY n DESC`,
  );
  const hashes = journal.all<{ type: string | null; n: number }>(
    `SELECT password_hash_type AS type, COUNT(*) AS n FROM users WHERE password_hash_type IS NOT NULL GROUP BY password_hash_type ORDER BY n DESC`,
  );
  const warnings = journal.get<{ n: number }>(`SELECT COUNT(*) AS n FROM issues WHERE severity = 'warning'`)?.n ?? 0;
  const lines = [
    '# workos-migrate summary',
    '',
    `- Source: ${settings.source.kind}${settings.source.options.path ? ` (${String(settings.source.options.path)})` : ''}`,
    `- WorkOS: ${settings.workos.apiUrl ?? 'https://api.workos.com'} (${settings.workos.environment ?? 'unknown'} environment)`,
    `- Journal: ${journal.path}`,
    `- Phase: ${journal.phase}; last activity ${journal.lastActivity ?? 'unknown'}`,
    '',
    '| records | staged | created | adopted | failed | skipped | not yet imported |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
  ];
  if (hashes.length) {
    lines.push('## Password hashes', '', ...hashes.map((h) => `- ${h.type}: ${h.n}`), '');
  }
  const handoffs = journal.all<{ field: string; name: string; workos_id: string | null; message: string }>(
    `SELECT i.field, o.name, o.workos_id, i.message FROM issues i JOIN organizations o ON o.source_id = i.source_id
      WHERE i.severity = 'warning' AND i.record_kind = 'organization' AND i.field IN ('sso', 'scim') ORDER BY o.name LIMIT 500`,
  );
  const manual = journal.all<{ record_kind: string | null; field: string | null; n: number; example: string }>(
    `SELECT record_kind, field, COUNT(*) AS n, MIN(message) AS example FROM issues WHERE severity = 'warning' GROUP BY record_kind, field ORDER BY n DESC`,
  );
  if (handoffs.length || manual.length) {
    lines.push('## What to do by hand', '');
    for (const h of handoffs) {
      const intent = h.field === 'sso' ? 'sso' : 'dsync';
      lines.push(
        `- ${h.name}: ${h.field === 'sso' ? 'SSO' : 'Directory Sync (SCIM)'} must be set up again by its IT admin: send an Admin Portal link (portal.generateLink({ organization: '${h.workos_id ?? '<not imported yet>'}', intent: '${intent}' }))`,
      );
    }
    for (const m of manual) {
      if (m.record_kind === 'organization' && (m.field === 'sso' || m.field === 'scim')) continue;
      lines.push(`- ${m.n} ${m.record_kind ?? 'record'} warning${m.n === 1 ? '' : 's'} on ${m.field ?? 'the record'}, e.g.: ${m.example}`);
    }
    lines.push('');
  }
  if (codes.length) {
    lines.push('## Why records did not make it', '', ...codes.map((c) => `- ${c.kind} \`${c.code ?? 'unknown'}\`: ${c.n}`), '');
  }
  lines.push(
    '## Files',
    '',
    `- Id map: ${paths.idMap} (load it with ${paths.idMapSql})`,
    `- Failures (${failureCount}): ${paths.failures}`,
    warnings ? `- ${warnings} warnings were recorded while reading the source (see \`workos-migrate status\`)` : '',
    '',
    '## Next steps',
    '',
    failureCount
      ? `- Failures WorkOS or the network caused (codes \`transient\`, \`conflict\`, \`blocked\`): \`workos-migrate run --retry-failed --journal ${journal.path}\`. ` +
        'Records wrong in the source (invalid, duplicate, rejected hash): fix the source, then run the migration again with a new journal: ' +
        'what already exists in WorkOS is adopted, not created twice.'
      : '- Nothing failed.',
    '- Store each user\'s WorkOS id in your database (id-map.sql).',
    '- Configure the social sign-in providers your users used, re-enable signups, and test a sign-in.',
    '',
  );
  return lines.filter((l, i, all) => !(l === '' && all[i - 1] === '')).join('\n');
}

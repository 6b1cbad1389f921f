/**
 * The fields a file's columns map to, the guesses made from column names, and the resolution of
 * `--map column=field` overrides into column indexes the row builder reads.
 */
import { ExpectedError } from '../../errors.js';

export const BASE_FIELDS = [
  'id',
  'email',
  'first_name',
  'last_name',
  'name',
  'email_verified',
  'password_hash',
  'password_hash_type',
  'organization_id',
  'organization_name',
  'organization_domains',
  'role',
] as const;
export type BaseField = (typeof BASE_FIELDS)[number];
/** A field a column maps to; `metadata.<key>` copies the column into the user's metadata under <key>. */
export type FieldName = BaseField | `metadata.${string}`;

/** The `--map` value that drops a column. */
export const IGNORE = 'ignore';
const METADATA_KEY_MAX = 40;

/** Column names compared lowercased, without accents, punctuation or spaces: `First Name` = `first_name` = `firstName`. */
export function normalizeName(name: string): string {
  return name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}

const SYNONYMS: Record<BaseField, string[]> = {
  id: ['id', 'userid', 'uid', 'localid', 'externalid', 'useruuid', 'uuid', 'sub'],
  email: ['email', 'emailaddress', 'mail', 'primaryemailaddress', 'primaryemail', 'useremail', 'emailaddr', 'courriel'],
  first_name: ['firstname', 'givenname', 'first', 'fname', 'forename', 'vorname', 'prenom'],
  last_name: ['lastname', 'familyname', 'surname', 'last', 'lname', 'nachname'],
  name: ['name', 'fullname', 'displayname'],
  email_verified: ['emailverified', 'verified', 'isverified', 'isemailverified', 'emailconfirmed', 'verifiedemail'],
  password_hash: ['passwordhash', 'passworddigest', 'hash', 'encryptedpassword', 'hashedpassword', 'passwordhashed'],
  password_hash_type: ['passwordhashtype', 'hashtype', 'passwordhasher', 'algorithm', 'hashalgorithm', 'passwordalgorithm', 'hasher'],
  organization_id: ['orgid', 'organizationid', 'organisationid', 'tenantid', 'companyid', 'workspaceid'],
  organization_name: ['orgname', 'organization', 'organizationname', 'organisation', 'organisationname', 'company', 'companyname', 'tenantname'],
  organization_domains: ['domains', 'orgdomains', 'organizationdomains', 'organisationdomains', 'domain', 'orgdomain', 'organizationdomain'],
  role: ['role', 'roles', 'rolename', 'roleslug', 'roleslugs', 'orgrole', 'membershiprole'],
};
const GUESS = new Map<string, BaseField>();
for (const field of BASE_FIELDS) for (const synonym of SYNONYMS[field]) GUESS.set(synonym, field);

/** The field a column name suggests, if any. */
export function guessField(column: string): BaseField | undefined {
  return GUESS.get(normalizeName(column));
}

/** Guesses for every column; when several columns suggest the same field, the first one takes it. */
export function guessMapping(columns: readonly string[]): Record<string, FieldName> {
  const mapping: Record<string, FieldName> = {};
  const taken = new Set<string>();
  for (const column of columns) {
    const field = guessField(column);
    if (field && !taken.has(field)) {
      taken.add(field);
      mapping[column] = field;
    }
  }
  return mapping;
}

/** Column indexes of each field (-1: not mapped), for the row builder. */
export interface CompiledMapping {
  columns: readonly string[];
  id: number;
  email: number;
  firstName: number;
  lastName: number;
  name: number;
  emailVerified: number;
  passwordHash: number;
  passwordHashType: number;
  orgId: number;
  orgName: number;
  orgDomains: number;
  role: number;
  metadata: { key: string; index: number }[];
  /** Indexes of all mapped columns (JSON rows only materialise these). */
  used: number[];
}

export interface ResolvedMapping {
  /** column → field, for the mapped columns only. */
  byColumn: Record<string, FieldName>;
  compiled: CompiledMapping;
}

const FIELD_LIST = `${BASE_FIELDS.join(', ')}, metadata.<key>, or ${IGNORE}`;

function parseField(raw: string, column: string): FieldName | typeof IGNORE {
  const value = raw.trim();
  if (value.toLowerCase() === IGNORE) return IGNORE;
  const meta = /^metadata\.(.*)$/i.exec(value);
  if (meta) {
    const key = meta[1].trim();
    if (!key) throw new ExpectedError(`--map ${column}=${raw}: the metadata key is empty.`, 'Write it as --map COLUMN=metadata.KEY.');
    if (key.length > METADATA_KEY_MAX) {
      throw new ExpectedError(
        `--map ${column}=${raw}: metadata key "${key}" is ${key.length} characters; WorkOS allows at most ${METADATA_KEY_MAX}.`,
        'Choose a shorter key.',
      );
    }
    return `metadata.${key}`;
  }
  const normalized = normalizeName(value);
  const field = BASE_FIELDS.find((f) => normalizeName(f) === normalized);
  if (!field) throw new ExpectedError(`--map ${column}=${raw}: "${raw}" is not a field.`, `Valid fields: ${FIELD_LIST}.`);
  return field;
}

function findColumn(columns: readonly string[], wanted: string): string | undefined {
  if (columns.includes(wanted)) return wanted;
  const lower = wanted.trim().toLowerCase();
  const ci = columns.filter((c) => c.trim().toLowerCase() === lower);
  if (ci.length === 1) return ci[0];
  const normalized = normalizeName(wanted);
  const loose = columns.filter((c) => normalizeName(c) === normalized);
  return loose.length === 1 ? loose[0] : undefined;
}

/**
 * The guessed mapping with the operator's overrides applied: an override names a column (exact,
 * else case-insensitive) and a field or `ignore`; it replaces the guess for that column and takes
 * the field from any other column that had guessed it. Unknown columns or fields are an
 * ExpectedError listing the valid ones. Does not require an email column (see `requireEmail`).
 */
export function resolveMapping(columns: readonly string[], overrides: Record<string, string> | undefined, fileName: string): ResolvedMapping {
  const byColumn: Record<string, FieldName> = guessMapping(columns);
  const explicit = new Map<string, string>(); // field → column, from overrides
  for (const [wanted, rawField] of Object.entries(overrides ?? {})) {
    const column = findColumn(columns, wanted);
    if (column === undefined) {
      throw new ExpectedError(
        `--map ${wanted}=${rawField}: ${fileName} has no column "${wanted}".`,
        `Its columns are: ${columns.map((c) => JSON.stringify(c)).join(', ')}.`,
      );
    }
    const field = parseField(String(rawField), wanted);
    if (field === IGNORE) {
      delete byColumn[column];
      continue;
    }
    const previous = explicit.get(field);
    if (previous !== undefined && previous !== column) {
      throw new ExpectedError(
        `--map maps both "${previous}" and "${column}" to ${field}.`,
        `Map only one column to ${field} (and the other to another field or to ${IGNORE}).`,
      );
    }
    explicit.set(field, column);
    // The override takes the field from a column that had only guessed it.
    for (const [other, guessed] of Object.entries(byColumn)) {
      if (guessed === field && other !== column) delete byColumn[other];
    }
    byColumn[column] = field;
  }
  return { byColumn, compiled: compile(columns, byColumn) };
}

function compile(columns: readonly string[], byColumn: Record<string, FieldName>): CompiledMapping {
  const compiled: CompiledMapping = {
    columns,
    id: -1,
    email: -1,
    firstName: -1,
    lastName: -1,
    name: -1,
    emailVerified: -1,
    passwordHash: -1,
    passwordHashType: -1,
    orgId: -1,
    orgName: -1,
    orgDomains: -1,
    role: -1,
    metadata: [],
    used: [],
  };
  const slot: Record<BaseField, keyof CompiledMapping> = {
    id: 'id',
    email: 'email',
    first_name: 'firstName',
    last_name: 'lastName',
    name: 'name',
    email_verified: 'emailVerified',
    password_hash: 'passwordHash',
    password_hash_type: 'passwordHashType',
    organization_id: 'orgId',
    organization_name: 'orgName',
    organization_domains: 'orgDomains',
    role: 'role',
  };
  columns.forEach((column, index) => {
    const field = byColumn[column];
    if (field === undefined) return;
    compiled.used.push(index);
    if (field.startsWith('metadata.')) compiled.metadata.push({ key: field.slice('metadata.'.length), index });
    else (compiled as unknown as Record<string, number>)[slot[field as BaseField]] = index;
  });
  return compiled;
}

/** A `--map` argument as the operator would type it in a shell: `--map Email=email`, `--map "E Mail=email"`. */
export function mapFlag(column: string, field: string): string {
  const arg = `${column}=${field}`;
  return /^[\w.@+-]+=[\w.@+-]+$/.test(arg) ? `--map ${arg}` : `--map "${arg.replace(/(["\\$`])/g, '\\$1')}"`;
}

/** The column mapped to `field`, if any. */
export function columnOf(byColumn: Record<string, FieldName>, field: FieldName): string | undefined {
  return Object.keys(byColumn).find((c) => byColumn[c] === field);
}

/**
 * Throws the "no email column" ExpectedError, suggesting the column whose sample values look
 * most like email addresses.
 */
export function requireEmail(mapping: ResolvedMapping, fileName: string, sample: readonly (readonly unknown[])[]): void {
  if (mapping.compiled.email >= 0) return;
  const columns = mapping.compiled.columns;
  let best: string | undefined;
  let bestCount = 0;
  columns.forEach((column, index) => {
    let count = 0;
    for (const row of sample) {
      const v = row[index];
      if (typeof v === 'string' && /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v.trim())) count++;
    }
    if (count > bestCount) {
      bestCount = count;
      best = column;
    }
  });
  const example = best ?? columns[0] ?? 'COLUMN';
  throw new ExpectedError(
    `${fileName} has no email column (columns found: ${columns.map((c) => JSON.stringify(c)).join(', ') || 'none'}).`,
    best
      ? `Column "${best}" holds email addresses: map it with ${mapFlag(best, 'email')}.`
      : `Map the column holding the email addresses with --map COLUMN=email (e.g. ${mapFlag(example, 'email')}).`,
  );
}

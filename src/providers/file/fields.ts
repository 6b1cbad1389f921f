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
  'metadata',
] as const;
export type BaseField = (typeof BASE_FIELDS)[number];
/**
 * A field a column maps to. `metadata.<key>` copies the column into the user's metadata under
 * <key>; `metadata` flattens a JSON object (a nested value, or JSON text) into it.
 */
export type FieldName = BaseField | `metadata.${string}`;

/** The `--map` value that drops a column. */
export const IGNORE = 'ignore';
const METADATA_KEY_MAX = 40;

/** A column whose values are not read, and why: recorded so that the plan and summary name it. */
export interface IgnoredColumn {
  column: string;
  reason: string;
}

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
  organization_name: ['orgname', 'organization', 'organizationname', 'organisationname', 'organisation', 'company', 'companyname', 'tenantname'],
  organization_domains: ['domains', 'orgdomains', 'organizationdomains', 'organisationdomains', 'domain', 'orgdomain', 'organizationdomain'],
  role: ['role', 'roles', 'rolename', 'roleslug', 'roleslugs', 'orgrole', 'membershiprole'],
  metadata: ['metadata', 'usermetadata', 'publicmetadata', 'custommetadata'],
};
const GUESS = new Map<string, BaseField>();
for (const field of BASE_FIELDS) for (const synonym of SYNONYMS[field]) GUESS.set(synonym, field);

/** `metadata` takes any number of columns (each object is flattened in); every other field one. */
const SHARED_FIELD = 'metadata';

/** `metadata.KEY` (any case before the dot): the README's way of naming metadata columns. */
const METADATA_COLUMN = /^\s*metadata\s*\.(.*)$/i;

/** The field a column name suggests, if any: a known name, or `metadata.KEY`. */
export function guessField(column: string): FieldName | undefined {
  const meta = METADATA_COLUMN.exec(column);
  if (meta) {
    const key = meta[1].trim();
    return key ? `metadata.${key}` : undefined;
  }
  return GUESS.get(normalizeName(column));
}

/**
 * Guesses for every column, and for the columns left without one, why. When several columns
 * suggest the same field (or metadata key), the first one takes it.
 */
function guessColumns(columns: readonly string[]): { byColumn: Map<string, FieldName>; taken: Map<FieldName, string> } {
  const byColumn = new Map<string, FieldName>();
  const taken = new Map<FieldName, string>(); // field → the column that took it
  for (const column of columns) {
    const field = guessField(column);
    if (field === undefined) continue;
    if (field !== SHARED_FIELD) {
      if (taken.has(field)) continue;
      taken.set(field, column);
    }
    byColumn.set(column, field);
  }
  return { byColumn, taken };
}

/** Guesses for every column (a prototype-less record: column names are data); see guessColumns. */
export function guessMapping(columns: readonly string[]): Record<string, FieldName> {
  return toRecord(guessColumns(columns).byColumn);
}

/** A Map as a record without a prototype: `constructor` or `__proto__` are column names like any other. */
export function toRecord<V>(map: ReadonlyMap<string, V>): Record<string, V> {
  const out = Object.create(null) as Record<string, V>;
  for (const [key, value] of map) out[key] = value;
  return out;
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
  /** Columns mapped to `metadata`: JSON objects flattened into the metadata. */
  metadataObjects: number[];
  /** Indexes of all mapped columns (JSON rows only materialise these). */
  used: number[];
}

export interface ResolvedMapping {
  /** column → field, for the mapped columns only. */
  byColumn: Map<string, FieldName>;
  compiled: CompiledMapping;
  /** Every column not read, with why. */
  ignored: IgnoredColumn[];
  /** The columns, plus (JSON formats) keys `--map` named that the head did not show. */
  columns: readonly string[];
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

/** A metadata key suggested for a column: its name, cut to WorkOS's 40 characters. */
function keyFor(column: string): string {
  const key = column.trim().replace(/\s+/g, '_') || 'KEY';
  return key.length > METADATA_KEY_MAX ? key.slice(0, METADATA_KEY_MAX) : key;
}

/** Why a column is not read, for the plan and the summary. */
export function unknownColumnReason(column: string): string {
  return `not a known field, so its values were not imported; map it with ${mapFlag(column, 'FIELD')} (${BASE_FIELDS.join(', ')}), or keep it in the user's metadata with ${mapFlag(column, `metadata.${keyFor(column)}`)}`;
}

/**
 * The guessed mapping with the operator's overrides applied: an override names a column (exact,
 * else case-insensitive) and a field or `ignore`; it replaces the guess for that column and takes
 * the field from any other column that had guessed it. Unknown columns or fields are an
 * ExpectedError listing the valid ones — except in JSON files (`openColumns`), where a key may
 * first appear past the head the columns were read from: there, an override naming a key not seen
 * adds it. Does not require an email column (see `requireEmail`).
 */
export function resolveMapping(
  columnsIn: readonly string[],
  overrides: Record<string, string> | undefined,
  fileName: string,
  options: { openColumns?: boolean } = {},
): ResolvedMapping {
  const columns = [...columnsIn];
  const { byColumn, taken } = guessColumns(columns);
  const explicit = new Map<string, string>(); // field → column, from overrides
  const ignoredByFlag = new Set<string>();
  for (const [wanted, rawField] of Object.entries(overrides ?? {})) {
    let column = findColumn(columns, wanted);
    if (column === undefined) {
      if (!options.openColumns || wanted.trim() === '') {
        throw new ExpectedError(
          `--map ${wanted}=${rawField}: ${fileName} has no column "${wanted}".`,
          `Its columns are: ${columns.map((c) => JSON.stringify(c)).join(', ')}.`,
        );
      }
      column = wanted;
      columns.push(column);
    }
    const field = parseField(String(rawField), wanted);
    if (field === IGNORE) {
      byColumn.delete(column);
      ignoredByFlag.add(column);
      continue;
    }
    const previous = explicit.get(field);
    if (previous !== undefined && previous !== column && field !== SHARED_FIELD) {
      throw new ExpectedError(
        `--map maps both "${previous}" and "${column}" to ${field}.`,
        `Map only one column to ${field} (and the other to another field or to ${IGNORE}).`,
      );
    }
    explicit.set(field, column);
    // The override takes the field from a column that had only guessed it.
    if (field !== SHARED_FIELD) {
      for (const [other, guessed] of byColumn) if (guessed === field && other !== column) byColumn.delete(other);
      taken.set(field, column);
    }
    byColumn.set(column, field);
  }
  // A `metadata.KEY` column named in the file, with a key WorkOS cannot hold: refused before
  // anything is staged, as `--map` refuses it (and `--map` is the way out).
  for (const [column, field] of byColumn) {
    const key = field.startsWith('metadata.') ? field.slice('metadata.'.length) : undefined;
    if (key !== undefined && key.length > METADATA_KEY_MAX && ![...explicit.values()].includes(column)) {
      throw new ExpectedError(
        `${fileName}: column "${column}" names metadata key "${key}", ${key.length} characters; WorkOS allows at most ${METADATA_KEY_MAX}.`,
        `Rename the column, or map it to a shorter key (${mapFlag(column, `metadata.${key.slice(0, METADATA_KEY_MAX)}`)}), or leave it out (${mapFlag(column, IGNORE)}).`,
      );
    }
  }
  const ignored: IgnoredColumn[] = [];
  for (const column of columns) {
    if (byColumn.has(column)) continue;
    let reason: string;
    const guess = guessField(column);
    const holder = guess === undefined ? undefined : taken.get(guess);
    if (ignoredByFlag.has(column)) reason = `ignored with ${mapFlag(column, IGNORE)}`;
    else if (METADATA_COLUMN.test(column) && guess === undefined) {
      reason = `a metadata column without a key after "metadata.", so its values were not imported; map it with ${mapFlag(column, 'metadata.KEY')}`;
    } else if (guess !== undefined && holder !== undefined && holder !== column) {
      reason = guess.startsWith('metadata.')
        ? `metadata key "${guess.slice('metadata.'.length)}" is read from column "${holder}", so its values were not imported; keep them under another key with ${mapFlag(column, 'metadata.KEY')}`
        : `looks like ${guess}, but ${guess} is read from column "${holder}", so its values were not imported; to read this column instead, ${mapFlag(column, guess)}`;
    } else reason = unknownColumnReason(column);
    ignored.push({ column, reason });
  }
  return { byColumn, compiled: compile(columns, byColumn), ignored, columns };
}

function compile(columns: readonly string[], byColumn: ReadonlyMap<string, FieldName>): CompiledMapping {
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
    metadataObjects: [],
    used: [],
  };
  const slot: Record<Exclude<BaseField, 'metadata'>, keyof CompiledMapping> = {
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
    const field = byColumn.get(column);
    if (field === undefined) return;
    compiled.used.push(index);
    if (field === SHARED_FIELD) compiled.metadataObjects.push(index);
    else if (field.startsWith('metadata.')) compiled.metadata.push({ key: field.slice('metadata.'.length), index });
    else (compiled as unknown as Record<string, number>)[slot[field as Exclude<BaseField, 'metadata'>]] = index;
  });
  return compiled;
}

/** A `--map` argument as the operator would type it in a shell: `--map Email=email`, `--map "E Mail=email"`. */
export function mapFlag(column: string, field: string): string {
  const arg = `${column}=${field}`;
  return /^[\w.@+-]+=[\w.@+-]+$/.test(arg) ? `--map ${arg}` : `--map "${arg.replace(/(["\\$`])/g, '\\$1')}"`;
}

/** The column mapped to `field`, if any. */
export function columnOf(byColumn: ReadonlyMap<string, FieldName>, field: FieldName): string | undefined {
  for (const [column, mapped] of byColumn) if (mapped === field) return column;
  return undefined;
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

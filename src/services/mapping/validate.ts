/**
 * Validation of source records against WorkOS's limits (shared/reference/workos-api.md), before
 * anything is sent. Pure functions: each returns the record's issues, empty when it is valid.
 *
 * Every issue names its `field` (the WorkOS parameter: externalId, email, firstName, lastName,
 * metadata / metadata.<key>, passwordHash, passwordHashType, name, domains) and says what is wrong
 * and what to do. `severity: 'error'` means the record cannot be imported as it is (the exporter
 * stages it as skipped); `'warning'` means it is imported with a fallback (e.g. without its
 * password, so the user needs a password reset).
 */
import { WORKOS_HASH_TYPES, type SourceIssue, type SourceOrganization, type SourceUser } from '../../providers/types.js';
import {
  HASH_FORMATS,
  describeUnsupportedHash,
  detectHashType,
  isKnownUnsupportedHashType,
  normalizeHashType,
} from './hash.js';
import { MAX_EMAIL_LENGTH, describeEmailForm, findControlCharacter, isValidEmail } from './text.js';

export { normalizeEmail, isValidEmail, describeEmailForm, splitFullName, findControlCharacter, collapseNameWhitespace } from './text.js';
export { detectHashType, normalizeHashType, isKnownUnsupportedHashType, isWorkosHashType } from './hash.js';

export const LIMITS = {
  externalId: 128,
  metadataKeys: 50,
  metadataKeyLength: 40,
  metadataValueLength: 600,
  email: MAX_EMAIL_LENGTH,
} as const;

const SUPPORTED = WORKOS_HASH_TYPES.join(', ');

type Issue = SourceIssue & { field: string; severity: 'error' | 'warning' };

export function validateUser(user: SourceUser): Issue[] {
  const issues: Issue[] = [];
  const report: Report = (field, severity, message) =>
    issues.push({ location: user.origin ?? user.sourceId, field, message, recordKind: 'user', sourceId: user.sourceId, severity });

  const id = user.sourceId;
  if (typeof id !== 'string' || id.length === 0 || id.length > LIMITS.externalId || id.trim() === '') {
    checkExternalId(id, 'user', (m) => report('externalId', 'error', m));
  }

  const email = typeof user.email === 'string' ? user.email.trim() : '';
  if (!email) {
    report('email', 'error', 'no email address; WorkOS needs one for every user — fill it in at the source or map the right column to email.');
  } else if (email.length > LIMITS.email) {
    report('email', 'error', `email address is ${email.length} characters; at most ${LIMITS.email} are allowed — fix it at the source.`);
  } else if (!isValidEmail(email)) {
    report('email', 'error', describeEmailForm(email) ?? `${JSON.stringify(email)} is not a valid email address; fix it at the source (or map the right column to email).`);
  }

  if (user.firstName !== undefined && user.firstName !== null) checkName('firstName', user.firstName, report);
  if (user.lastName !== undefined && user.lastName !== null) checkName('lastName', user.lastName, report);
  if (user.metadata !== undefined && user.metadata !== null) checkMetadata(user.metadata, (field, m) => report(field, 'error', m));
  if (user.passwordHash || user.passwordHashType) checkPassword(user, report);
  return issues;
}

type Report = (field: string, severity: 'error' | 'warning', message: string) => void;

function checkName(field: string, value: unknown, report: Report): void {
  if (typeof value !== 'string') {
    report(field, 'error', `${field} must be text, got ${typeof value}; fix the source value.`);
    return;
  }
  const control = findControlCharacter(value.trim());
  if (control) report(field, 'error', `${field} contains a control character (${control.code} at position ${control.index + 1}); remove it at the source.`);
}

export function validateOrganization(org: SourceOrganization): Issue[] {
  const issues: Issue[] = [];
  const location = org.origin ?? org.sourceId;
  const add = (field: string, severity: 'error' | 'warning', message: string) =>
    issues.push({ location, field, message, recordKind: 'organization', sourceId: org.sourceId, severity });

  checkExternalId(org.sourceId, 'organization', (m) => add('externalId', 'error', m));

  const name = typeof org.name === 'string' ? org.name.trim() : '';
  if (!name) {
    add('name', 'error', 'organization has no name; give it one at the source (or map a column to organization_name).');
  } else {
    const control = findControlCharacter(name);
    if (control) add('name', 'error', `organization name contains a control character (${control.code} at position ${control.index + 1}); remove it at the source.`);
  }

  for (const entry of org.domains ?? []) {
    const domain = typeof entry?.domain === 'string' ? entry.domain.trim() : '';
    if (!isValidDomain(domain)) {
      add('domains', 'error', `${JSON.stringify(entry?.domain ?? '')} is not a valid domain (expected e.g. example.com); fix or remove it at the source.`);
    } else if (entry.state !== 'pending' && entry.state !== 'verified') {
      add('domains', 'error', `domain ${domain} has state ${JSON.stringify(entry.state)}; it must be "pending" or "verified".`);
    }
  }

  checkMetadata(org.metadata, (field, m) => add(field, 'error', m));
  return issues;
}

function checkExternalId(id: string, kind: string, report: (message: string) => void): void {
  if (typeof id !== 'string' || id.trim() === '') {
    report(`${kind} has no id (it becomes the WorkOS externalId); every record needs one.`);
  } else if (id.length > LIMITS.externalId) {
    report(
      `id is ${id.length} characters; a WorkOS externalId holds at most ${LIMITS.externalId} — use a shorter id column (or shorten the ids at the source).`,
    );
  }
}

function checkMetadata(metadata: Record<string, unknown> | undefined, report: (field: string, message: string) => void): void {
  if (metadata === undefined || metadata === null) return;
  if (typeof metadata !== 'object' || Array.isArray(metadata)) {
    report('metadata', 'metadata must be an object of string values.');
    return;
  }
  const keys = Object.keys(metadata);
  if (keys.length > LIMITS.metadataKeys) {
    report('metadata', `metadata has ${keys.length} keys; WorkOS allows at most ${LIMITS.metadataKeys} — carry fewer fields into metadata.`);
  }
  for (const key of keys) {
    const field = `metadata.${key}`;
    if (key.length === 0) report('metadata', 'metadata has an empty key; name every metadata field.');
    else if (key.length > LIMITS.metadataKeyLength) {
      report(field, `metadata key ${JSON.stringify(key)} is ${key.length} characters; at most ${LIMITS.metadataKeyLength} are allowed — use a shorter key.`);
    }
    const value = metadata[key];
    if (typeof value !== 'string') {
      report(field, `metadata value for ${JSON.stringify(key)} is ${value === null ? 'null' : typeof value}; WorkOS metadata values are strings — convert or drop it.`);
    } else if (value.length > LIMITS.metadataValueLength) {
      report(
        field,
        `metadata value for ${JSON.stringify(key)} is ${value.length} characters; at most ${LIMITS.metadataValueLength} are allowed — shorten it or leave it out of metadata.`,
      );
    }
  }
}

function checkPassword(user: SourceUser, add: Report): void {
  const hash = typeof user.passwordHash === 'string' ? user.passwordHash.trim() : '';
  const type = typeof user.passwordHashType === 'string' ? user.passwordHashType.trim() : '';
  const reset = 'this user will be imported without a password and will need a password reset (hashes are never re-hashed)';

  if (!hash) {
    if (type) add('passwordHash', 'warning', `password hash type is "${type}" but there is no password hash; ${reset}.`);
    return;
  }
  if (!type) {
    const detected = detectHashType(hash);
    if (detected) return; // the importer sends the detected type
    const unsupported = describeUnsupportedHash(hash);
    if (unsupported) {
      add('passwordHashType', 'warning', `password hash has no type and looks like ${unsupported}, which WorkOS does not accept; ${reset}.`);
    } else {
      add(
        'passwordHashType',
        'error',
        `password hash has no type and its format is not recognised (WorkOS accepts ${SUPPORTED}); map the column holding the algorithm to password_hash_type, or drop the hash (the user then needs a password reset).`,
      );
    }
    return;
  }
  const workosType = normalizeHashType(type);
  if (!workosType) {
    if (isKnownUnsupportedHashType(type)) {
      add('passwordHashType', 'warning', `password hash type "${type}" is not supported by WorkOS (it accepts ${SUPPORTED}); ${reset}.`);
    } else {
      add(
        'passwordHashType',
        'error',
        `unknown password hash type "${type}" (WorkOS accepts ${SUPPORTED}); fix the value or the column mapped to password_hash_type — if the algorithm really is another one, drop the hash and the user will need a password reset.`,
      );
    }
    return;
  }
  const detected = detectHashType(hash);
  if (detected !== workosType) {
    add(
      'passwordHash',
      'error',
      `password hash does not look like a ${workosType} hash (expected ${HASH_FORMATS[workosType]})${detected ? `; it looks like ${detected}` : ''} — WorkOS would reject it. Check the hash and type columns (and convert the hash to WorkOS's format if the source uses another one).`,
    );
  }
}

/** A pragmatic host name check: labels of letters/digits/hyphens (or IDN), at least one dot. */
export function isValidDomain(domain: string): boolean {
  if (!domain || domain.length > 253 || !domain.includes('.')) return false;
  for (const label of domain.split('.')) {
    if (!label || label.length > 63 || label.startsWith('-') || label.endsWith('-')) return false;
    if (!/^[\p{L}\p{N}-]+$/u.test(label)) return false;
  }
  return true;
}

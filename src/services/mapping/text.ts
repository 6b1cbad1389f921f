/**
 * Small text helpers shared by the validators and the file source: email normalization and
 * validation, full-name splitting, control-character detection. Pure functions, no I/O.
 */

/** The form WorkOS compares emails in (it treats them case-insensitively): trimmed, lowercased. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** At most this many characters in an email address (RFC 5321: 64 + 1 + 255). */
export const MAX_EMAIL_LENGTH = 320;

/**
 * A pragmatic check, not RFC 5322: exactly one `@`, a non-empty local part, a domain with a dot
 * that neither starts nor ends with one and has no empty label, no whitespace or control
 * characters anywhere, at most 320 characters. Quoted local parts (`"a@b"@x.com`) are refused,
 * and so are forms that only contain an address: a link (`mailto:a@x.com`) or a display-name
 * form (`<a@x.com>`) — `describeEmailForm` says why.
 */
export function isValidEmail(email: string): boolean {
  const length = email.length;
  if (length === 0 || length > MAX_EMAIL_LENGTH) return false;
  let at = -1;
  for (let i = 0; i < length; i++) {
    const c = email.charCodeAt(i);
    // C0 controls, space, DEL, C1 controls, and the Unicode spaces / separators.
    if (c <= 0x20 || (c >= 0x7f && c <= 0xa0) || c === 0x2028 || c === 0x2029 || c === 0xfeff || (c >= 0x2000 && c <= 0x200b) || c === 0x3000) {
      return false;
    }
    if (c === 0x40 /* @ */) {
      if (at !== -1) return false;
      at = i;
    } else if (c < 0x80 && NOT_IN_ADDRESS[c] === 1) return false;
  }
  if (at <= 0) return false;
  const domain = email.slice(at + 1);
  if (domain.length < 3) return false;
  const dot = domain.indexOf('.');
  if (dot <= 0 || domain.endsWith('.') || domain.includes('..')) return false;
  return true;
}

/**
 * Characters an address cannot hold outside a quoted local part (which is refused anyway):
 * `( ) , : ; < > [ ] \ "`. Meeting one means the value is something holding an address — a
 * `mailto:` link, `<a@x.com>`, a list — not an address WorkOS can sign in with.
 */
const NOT_IN_ADDRESS = new Uint8Array(0x80);
for (const c of '(),:;<>[]\\"') NOT_IN_ADDRESS[c.charCodeAt(0)] = 1;

/**
 * For a value isValidEmail refuses because of its form (a scheme prefix such as `mailto:`, angle
 * brackets, a list), what it is and what to write instead; undefined for other problems.
 */
export function describeEmailForm(email: string): string | undefined {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(email);
  if (scheme) {
    const rest = email.slice(scheme[0].length).replace(/^\/\//, '');
    return `${JSON.stringify(email)} is a ${scheme[1].toLowerCase()}: link, not an email address; remove the "${scheme[0]}" prefix at the source${
      isValidEmail(rest) ? ` (the address is ${rest})` : ''
    }.`;
  }
  for (let i = 0; i < email.length; i++) {
    const c = email.charCodeAt(i);
    if (c >= 0x80 || NOT_IN_ADDRESS[c] !== 1) continue;
    const inner = /<([^<>\s]+)>/.exec(email)?.[1];
    return `${JSON.stringify(email)} is not a plain email address: it holds ${JSON.stringify(email[i])}, which an address cannot (a display name or link form, or several addresses?); write the address alone${
      inner !== undefined && isValidEmail(inner) ? ` (${inner})` : ''
    } at the source.`;
  }
  return undefined;
}

/** The first C0/C1 control character (tab and newline included) in `value`, if any. */
export function findControlCharacter(value: string): { index: number; code: string } | undefined {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c < 0xa0)) {
      return { index: i, code: `U+${c.toString(16).toUpperCase().padStart(4, '0')}` };
    }
  }
  return undefined;
}

/**
 * Splits a full name: the last whitespace-separated token is the last name, everything before
 * it the first name (`Mary Ann Smith` → `Mary Ann` + `Smith`). One token is a first name only.
 * Whitespace is trimmed and collapsed; an empty name gives neither.
 */
export function splitFullName(name: string): { firstName?: string; lastName?: string } {
  const trimmed = name.trim();
  if (!trimmed) return {};
  const tokens = trimmed.split(/\s+/);
  if (tokens.length === 1) return { firstName: tokens[0] };
  const lastName = tokens.pop()!;
  return { firstName: tokens.join(' '), lastName };
}

/** Line breaks and tabs (with the spaces around them): what a name must not carry into WorkOS. */
const NAME_BREAKS = /[ ]*[\r\n\t\v\f\u0085\u2028\u2029]+[ \r\n\t\v\f\u0085\u2028\u2029]*/g;

/**
 * A name with each run of line breaks and tabs collapsed to one space, trimmed; the same string
 * when it holds none (a quoted CSV value may span lines: the person's name does not).
 */
export function collapseNameWhitespace(name: string): string {
  // A scan first: called for every name of a million-row file, which almost never has one.
  let found = false;
  for (let i = 0; i < name.length && !found; i++) {
    const c = name.charCodeAt(i);
    found = (c >= 0x09 && c <= 0x0d) || c === 0x85 || c === 0x2028 || c === 0x2029;
  }
  return found ? name.replace(NAME_BREAKS, ' ').trim() : name;
}

export { validateUser, validateOrganization, isValidDomain, LIMITS } from './validate.js';
export { normalizeEmail, isValidEmail, splitFullName, findControlCharacter, MAX_EMAIL_LENGTH } from './text.js';
export {
  detectHashType,
  normalizeHashType,
  isKnownUnsupportedHashType,
  isWorkosHashType,
  describeUnsupportedHash,
  HASH_FORMATS,
} from './hash.js';

export { validateUser, validateOrganization, isValidDomain, LIMITS } from './validate.js';
export { normalizeEmail, isValidEmail, describeEmailForm, splitFullName, findControlCharacter, collapseNameWhitespace, MAX_EMAIL_LENGTH } from './text.js';
export { flattenMetadata, exceedsDepth, MAX_JSON_DEPTH, type DroppedMetadataKey } from './metadata.js';
export {
  detectHashType,
  normalizeHashType,
  isKnownUnsupportedHashType,
  isWorkosHashType,
  describeUnsupportedHash,
  redactHash,
  HASH_FORMATS,
} from './hash.js';
export { mappedRoleSlugs, sameRoles, type RoleMapping } from './roles.js';

export { createSupabaseProvider, type SupabaseOptions } from './provider.js';
export { mapUser, identityKind, USER_METADATA_PREFIX, type Choice } from './mapping.js';
export { readOrganizationsFile, type OrganizationsFile } from './organizations.js';

import { ExpectedError } from '../../errors.js';
import type { SourceDefinition } from '../types.js';

// Placeholder until the source is built: listed under "Not available yet".
export const clerkSource: SourceDefinition = {
  kind: 'clerk',
  name: 'Clerk',
  brings: 'users, organizations, memberships, roles, bcrypt password hashes',
  available: false,
  create() {
    throw new ExpectedError('The Clerk source is not available yet.', 'Use --source file with an export of your users.');
  },
};

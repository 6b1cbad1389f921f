import { ExpectedError } from '../../errors.js';
import type { SourceDefinition } from '../types.js';

// Placeholder until the source is built: listed under "Not available yet".
export const supabaseSource: SourceDefinition = {
  kind: 'supabase',
  name: 'Supabase',
  brings: 'users, bcrypt password hashes (from the project database)',
  available: false,
  create() {
    throw new ExpectedError('The Supabase source is not available yet.', 'Use --source file with an export of your users.');
  },
};

import { ExpectedError } from '../../errors.js';
import type { SourceDefinition } from '../types.js';

// Placeholder until the source is built: listed under "Not available yet".
export const firebaseSource: SourceDefinition = {
  kind: 'firebase',
  name: 'Firebase',
  brings: 'users, password hashes (firebase-scrypt), from an auth:export file',
  available: false,
  create() {
    throw new ExpectedError('The Firebase source is not available yet.', 'Use --source file with an export of your users.');
  },
};

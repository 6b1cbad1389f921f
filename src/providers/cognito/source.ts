import { ExpectedError } from '../../errors.js';
import type { SourceDefinition } from '../types.js';

// Placeholder until the source is built: listed under "Not available yet".
export const cognitoSource: SourceDefinition = {
  kind: 'cognito',
  name: 'AWS Cognito',
  brings: 'users, groups as roles (no password hashes: lazy migration or resets)',
  available: false,
  create() {
    throw new ExpectedError('The AWS Cognito source is not available yet.', 'Use --source file with an export of your users.');
  },
};

import { ExpectedError } from '../../errors.js';
import { filePath, pairs } from '../../services/flags.js';
import type { SourceDefinition } from '../types.js';
import { createFileProvider } from './index.js';

export const fileSource: SourceDefinition = {
  kind: 'file',
  name: 'A file (CSV, JSON, NDJSON)',
  brings: 'users, organizations, memberships, roles, password hashes (whatever its columns hold)',
  available: true,
  flags: {
    file: { type: 'string' },
    map: { type: 'string', multiple: true },
  },
  flagHelp: `  --file PATH           file: a CSV, JSON array or NDJSON export of your users
  --map COLUMN=FIELD    file: map a column to a field, overriding the guess; repeatable. Fields: id,
                        email, first_name, last_name, name, email_verified, password_hash,
                        password_hash_type, organization_id, organization_name,
                        organization_domains, role, metadata (a JSON object), metadata.KEY, or ignore`,
  optionsFrom(values, cwd) {
    return { path: filePath(values, 'file', cwd), map: pairs(values.map, '--map', 'COLUMN=FIELD') };
  },
  // Parsing a large file is as much work as staging it: the two share the cores.
  worker: {},
  create(options) {
    if (typeof options.path !== 'string' || !options.path) throw new ExpectedError('The file source needs a path.', 'Pass --file PATH.');
    return createFileProvider({
      path: options.path,
      map: options.map as Record<string, string> | undefined,
      format: options.format as 'csv' | 'json' | 'ndjson' | undefined,
      batchSize: typeof options.batchSize === 'number' ? options.batchSize : undefined,
    });
  },
};

/**
 * Standalone fake Stytch for manual runs and demos:
 *   npx tsx src/sandbox/stytch/main.ts [--port 4200] [--organizations 50] [--members 2000] [--users 0] [--fast] [--passwords FILE]
 * --fast turns the 100/150-a-minute limits off; --passwords writes a matching support export.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generateStytchProject, startFakeStytch, writeStytchPasswordExport } from './index.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '4200' },
    organizations: { type: 'string', default: '50' },
    members: { type: 'string', default: '2000' },
    users: { type: 'string', default: '0' },
    seed: { type: 'string', default: '42' },
    fast: { type: 'boolean', default: false },
    passwords: { type: 'string' },
  },
});

const int = (name: string, value: string | undefined) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`Invalid --${name}: ${value}`);
    process.exit(1);
  }
  return n;
};

const generated = generateStytchProject({
  organizations: int('organizations', values.organizations),
  members: int('members', values.members),
  consumerUsers: int('users', values.users),
  seed: int('seed', values.seed),
  passwordRate: values.passwords ? 0.3 : 0,
});
const fake = await startFakeStytch({ project: generated.project, port: int('port', values.port), enforceLimits: !values.fast });
if (values.passwords) {
  const file = path.resolve(values.passwords);
  writeStytchPasswordExport(file, generated.project.passwords, generated.project.scrypt);
  console.log(`Password export (${generated.project.passwords.length} rows): ${file}`);
}
console.log(`Fake Stytch listening on ${fake.url}${values.fast ? ' (no rate limits)' : ' (100 B2B searches / 150 user searches a minute)'}`);
console.log(`STYTCH_PROJECT_ID=${fake.projectId} STYTCH_SECRET=${fake.secret} STYTCH_API_URL=${fake.url}`);
console.log(
  `${generated.project.organizations.length} organizations, ${generated.project.members.length} members ` +
    `(${generated.expected.users.length} distinct active people), ${generated.project.users.length} consumer users`,
);

const shutdown = () => {
  void fake.close().then(() => process.exit(0));
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);

/**
 * Standalone sandbox for manual use:
 *   npx tsx src/sandbox/main.ts [--port 4100] [--fast] [--key sk_test_...]
 * --fast disables rate limiting.
 */
import { parseArgs } from 'node:util';
import { startSandbox } from './index.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '4100' },
    fast: { type: 'boolean', default: false },
    key: { type: 'string' },
  },
});

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`Invalid --port: ${values.port}`);
  process.exit(1);
}

const sandbox = await startSandbox({
  port,
  limits: values.fast ? false : undefined,
  apiKeys: values.key ? [values.key] : undefined,
});

console.log(`WorkOS sandbox listening on ${sandbox.url}${values.fast ? ' (no rate limits)' : ''}`);
console.log(`API key: ${sandbox.apiKey}`);
console.log(`SDK: new WorkOS('${sandbox.apiKey}', { apiHostname: '${sandbox.host}', https: false, port: ${sandbox.port} })`);
console.log(`State: ${sandbox.url}/__sandbox/state   Stats: ${sandbox.url}/__sandbox/stats`);

const shutdown = () => {
  void sandbox.close().then(() => process.exit(0));
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);

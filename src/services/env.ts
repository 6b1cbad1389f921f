import fs from 'node:fs';
import path from 'node:path';

/**
 * Reads KEY=VALUE lines from a .env file into a copy of the environment, without overriding
 * what is already set (the shell wins, as with dotenv). Values stay in memory only.
 */
export function loadEnv(base: NodeJS.ProcessEnv, envFile = path.resolve('.env')): NodeJS.ProcessEnv {
  const env = { ...base };
  let text: string;
  try {
    text = fs.readFileSync(envFile, 'utf8');
  } catch {
    return env;
  }
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) continue;
    let value = match[2];
    const quoted = /^(['"])(.*)\1$/.exec(value);
    if (quoted) value = quoted[2];
    else value = value.replace(/\s+#.*$/, '');
    if (env[match[1]] === undefined) env[match[1]] = value;
  }
  return env;
}

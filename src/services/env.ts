import fs from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Reads a .env file into a copy of the environment (Node's own dotenv parser), without
 * overriding what is already set (the shell wins, as with dotenv). Values stay in memory only.
 */
export function loadEnv(base: NodeJS.ProcessEnv, envFile = path.resolve('.env')): NodeJS.ProcessEnv {
  const env = { ...base };
  let text: string;
  try {
    text = fs.readFileSync(envFile, 'utf8');
  } catch {
    return env;
  }
  for (const [rawName, value] of Object.entries(parseEnv(text))) {
    // Node 20's parser folds a line without "=" into the next line's name ("junk\nKEY"): the
    // real name is the last line of it.
    const name = rawName.split('\n').pop()!.trim();
    if (NAME.test(name) && env[name] === undefined) env[name] = value;
  }
  return env;
}

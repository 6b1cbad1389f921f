// Part of `npm run build`: the kit templates are TypeScript the CLI copies into the operator's
// project, so dist/kits/<kit>/ gets the .ts files themselves beside the compiled ones.
import fs from 'node:fs';
import path from 'node:path';

const from = path.join(import.meta.dirname, '.');
const to = path.resolve(import.meta.dirname, '../../dist/kits');
for (const kit of fs.readdirSync(from, { withFileTypes: true })) {
  if (!kit.isDirectory()) continue;
  fs.mkdirSync(path.join(to, kit.name), { recursive: true });
  for (const file of fs.readdirSync(path.join(from, kit.name))) {
    if (file.endsWith('.ts')) fs.copyFileSync(path.join(from, kit.name, file), path.join(to, kit.name, file));
  }
}

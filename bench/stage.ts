/** The generated CSV of the staging benchmark (bench/stage-child.mjs stages it). */
import fs from 'node:fs';

export function writeBigCsv(file: string, rows: number): void {
  const fd = fs.openSync(file, 'w');
  let chunk = 'id,email,first_name,last_name,email_verified,organization_id,organization_name,role\n';
  for (let i = 1; i <= rows; i++) {
    chunk += `u${i},user${i}@example.com,First${i % 97},Last${i % 89},true,org${i % 1000},Org ${i % 1000},${i % 10 ? 'member' : 'admin'}\n`;
    if (chunk.length > 1 << 20) {
      fs.writeSync(fd, chunk);
      chunk = '';
    }
  }
  fs.writeSync(fd, chunk);
  fs.closeSync(fd);
}

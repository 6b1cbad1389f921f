import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { ExpectedError } from '../../src/errors.js';
import { createFileProvider, type FileProviderOptions } from '../../src/providers/file/index.js';
import type { ExportBatch, SourceIssue, SourceMembership, SourceOrganization, SourceUser } from '../../src/providers/types.js';
import { tempDir } from '../helpers.js';

/** A fresh directory per file, removed by `cleanup()`. */
export function fileWriter(prefix = 'wm-fidelity-') {
  const dirs: string[] = [];
  return {
    write(name: string, content: string | Buffer): string {
      const dir = tempDir(prefix);
      dirs.push(dir);
      const file = path.join(dir, name);
      fs.writeFileSync(file, content);
      return file;
    },
    cleanup() {
      for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Collected {
  batches: ExportBatch[];
  users: SourceUser[];
  organizations: SourceOrganization[];
  memberships: SourceMembership[];
  issues: SourceIssue[];
  ignoredColumns: { column: string; reason: string }[];
}

/** Every batch of the file provider's export, and their records gathered. */
export async function collect(options: FileProviderOptions, cursor?: string): Promise<Collected> {
  const out: Collected = { batches: [], users: [], organizations: [], memberships: [], issues: [], ignoredColumns: [] };
  for await (const batch of createFileProvider(options).export({ cursor })) {
    out.batches.push(batch);
    out.users.push(...(batch.users ?? []));
    out.organizations.push(...(batch.organizations ?? []));
    out.memberships.push(...(batch.memberships ?? []));
    out.issues.push(...(batch.issues ?? []));
    out.ignoredColumns.push(...(batch.ignoredColumns ?? []));
  }
  return out;
}

/** The ExpectedError `run` throws (anything else fails the test). */
export async function failure(run: () => Promise<unknown>): Promise<ExpectedError> {
  try {
    await run();
  } catch (error) {
    if (!(error instanceof ExpectedError)) throw error;
    return error;
  }
  throw new Error('expected an ExpectedError');
}

/** The same ExpectedError from check() and from export(). */
export async function fileError(options: FileProviderOptions): Promise<ExpectedError> {
  const fromCheck = await failure(() => createFileProvider(options).check());
  const fromExport = await failure(() => collect(options));
  expect(fromExport.message).toBe(fromCheck.message);
  return fromCheck;
}

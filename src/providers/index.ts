/**
 * The sources, each defined in its own folder (`<kind>/source.ts`): this module only lists them
 * and derives what the shells read (the Source screen, the wizard's fields, `run`'s flags and help).
 */
import { ExpectedError } from '../errors.js';
import { auth0Source } from './auth0/source.js';
import { betterAuthSource } from './better-auth/source.js';
import { clerkSource } from './clerk/source.js';
import { cognitoSource } from './cognito/source.js';
import { fileSource } from './file/source.js';
import { firebaseSource } from './firebase/source.js';
import { stytchB2BSource, stytchConsumerSource } from './stytch/source.js';
import { supabaseSource } from './supabase/source.js';
import type { SourceDefinition, SourceField, SourceProvider } from './types.js';

/** In the Source screen's order. */
export const SOURCE_DEFINITIONS: SourceDefinition[] = [
  stytchB2BSource,
  stytchConsumerSource,
  auth0Source,
  betterAuthSource,
  firebaseSource,
  clerkSource,
  supabaseSource,
  cognitoSource,
  fileSource,
];

export interface SourceDescriptor {
  kind: string;
  name: string;
  /** One line on what the source brings. */
  brings: string;
  available: boolean;
}

export const SOURCES: SourceDescriptor[] = SOURCE_DEFINITIONS.map(({ kind, name, brings, available }) => ({ kind, name, brings, available }));

export const SOURCE_FIELDS: Record<string, SourceField[]> = Object.fromEntries(SOURCE_DEFINITIONS.filter((d) => d.fields).map((d) => [d.kind, d.fields!]));

/** Source role slugs with an obvious WorkOS counterpart, used when the environment has it. */
export const DEFAULT_ROLE_MAPS: Record<string, Record<string, string>> = Object.fromEntries(
  SOURCE_DEFINITIONS.filter((d) => d.defaultRoles).map((d) => [d.kind, d.defaultRoles!]),
);

export function sourceDefinition(kind: string): SourceDefinition {
  const definition = SOURCE_DEFINITIONS.find((d) => d.kind === kind);
  if (!definition) {
    throw new ExpectedError(`Unknown source "${kind}".`, `Choose one of: ${SOURCE_DEFINITIONS.filter((d) => d.available).map((d) => d.kind).join(', ')}.`);
  }
  return definition;
}

/** Why a user of this source has no password hash in the journal. */
export function noPasswordReason(kind: string): string {
  return SOURCE_DEFINITIONS.find((d) => d.kind === kind)?.noPasswordReason ?? 'no password in the source';
}

/** A provider from a run's settings; secrets come from `env`, never from the journal. */
export function createProvider(kind: string, options: Record<string, unknown>, env: NodeJS.ProcessEnv): SourceProvider {
  return sourceDefinition(kind).create(options, env);
}

/** Every source's `run` flags, for the argument parser (a flag shared by two sources is one flag). */
export function sourceFlags(): Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> {
  return Object.assign({}, ...SOURCE_DEFINITIONS.map((d) => d.flags ?? {}));
}

/** Flags that carry a secret into the run's environment, and the variable each one sets. */
export function secretFlags(): Record<string, string> {
  return Object.assign({}, ...SOURCE_DEFINITIONS.map((d) => d.secretFlags ?? {}));
}

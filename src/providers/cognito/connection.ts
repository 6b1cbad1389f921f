/**
 * The settings a Cognito connection needs, checked before any SDK loads (source.ts stays cheap to
 * import): a bad pool id or a missing key is said up front, with what to do.
 */
import { ExpectedError } from '../../errors.js';

export interface CognitoConnection {
  userPoolId: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** Where calls go instead of https://cognito-idp.REGION.amazonaws.com (COGNITO_ENDPOINT). */
  endpoint?: string;
}

/** `us-east-1_AbC123`: the region is the part before the underscore. */
export const POOL_ID = /^([a-z]{2}(?:-[a-z]+)+-\d)_[0-9a-zA-Z]+$/;

/** The region a pool id starts with (`us-east-1_AbC123` -> `us-east-1`). */
export const regionOfPool = (pool: string | undefined): string | undefined => POOL_ID.exec(pool?.trim() ?? '')?.[1];

export function checkConnection(c: Partial<CognitoConnection>): void {
  if (!c.userPoolId?.trim()) throw new ExpectedError('The Cognito source needs the user pool id.', 'Pass --cognito-user-pool ID (e.g. us-east-1_AbC123, in the Cognito console under User pools) or set COGNITO_USER_POOL_ID.');
  if (!POOL_ID.test(c.userPoolId.trim())) {
    throw new ExpectedError(`"${c.userPoolId}" is not a Cognito user pool id.`, 'A pool id looks like us-east-1_AbC123 (REGION_ID): copy it from the Cognito console (User pools > your pool > Overview).');
  }
  if (!c.accessKeyId?.trim()) throw new ExpectedError('AWS_ACCESS_KEY_ID is not set.', 'Export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (an IAM user or role allowed cognito-idp:ListUsers, ListGroups, ListUsersInGroup and DescribeUserPool): they are never written anywhere.');
  if (!c.secretAccessKey?.trim()) throw new ExpectedError('AWS_SECRET_ACCESS_KEY is not set.', 'Export AWS_SECRET_ACCESS_KEY (with AWS_ACCESS_KEY_ID, and AWS_SESSION_TOKEN for temporary credentials): it is never written anywhere.');
  if (c.endpoint !== undefined) {
    try {
      const url = new URL(c.endpoint);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('protocol');
    } catch {
      throw new ExpectedError(`COGNITO_ENDPOINT is not an http(s) URL: ${c.endpoint}.`, 'Use a full URL such as http://127.0.0.1:4300, or unset it to reach AWS.');
    }
  }
}


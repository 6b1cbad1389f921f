/**
 * A fake Amazon Cognito user pool (AWS JSON 1.1 over HTTP, SigV4 checked, ListUsers /
 * ListGroups / ListUsersInGroup / DescribeUserPool, per-category request-rate quotas) and seeded
 * pools with the WorkOS state their migration must end in. The real SDK talks to it through
 * COGNITO_ENDPOINT:
 *
 *   const fake = await startFakeCognito({ pool: generateCognitoPool({ users: 1200 }) });
 *   // COGNITO_ENDPOINT=fake.url AWS_ACCESS_KEY_ID=fake.accessKeyId AWS_SECRET_ACCESS_KEY=fake.secretAccessKey
 */
export { startFakeCognito } from './server.js';
export type { FakeCognito, FakeCognitoOptions, FakeCognitoStats } from './server.js';
export { generateCognitoPool, expectedCognitoState, attributesOf, SOCIAL_TYPES, SAML_PROVIDER, LONG_ATTRIBUTE } from './data.js';
export type { CognitoPool, CognitoPoolOptions, CognitoUser, CognitoGroup, CognitoAttribute, CognitoUserStatus, ExpectedCognitoState, ExpectedCognitoUser } from './data.js';

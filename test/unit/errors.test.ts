import { describe, expect, it } from 'vitest';
import { classifyWorkOSError, refusedDomains } from '../../src/services/workos/errors.js';

/** The shapes the SDK (8.13) throws, as it builds them from an answer. */
const conflict409 = Object.assign(new Error('A user with this email already exists'), { name: 'ConflictException', status: 409 });
const badRequest = (code: string, errors: { code: string; field?: string }[]) => Object.assign(new Error('Could not create user.'), { name: 'BadRequestException', status: 400, code, errors });
const unprocessable = (codes: string[]) =>
  Object.assign(new Error(`The following requirements must be met:\n${codes.map((c) => `\t${c}\n`).join('')}`), { name: 'UnprocessableEntityException', status: 422, code: 'invalid_request_parameters' });
const network = (code: string) => Object.assign(new Error('Unexpected error: TypeError: fetch failed'), { cause: Object.assign(new TypeError('fetch failed'), { cause: { code } }) });

describe('classifyWorkOSError', () => {
  it('reads a taken email as a conflict to adopt, in the real form (400) and the emulator form (409, no code kept by the SDK)', () => {
    expect(classifyWorkOSError(badRequest('user_creation_error', [{ code: 'email_not_available' }]))).toMatchObject({ kind: 'conflict', code: 'email_not_available' });
    expect(classifyWorkOSError(conflict409)).toMatchObject({ kind: 'conflict', code: 'conflict' });
  });

  it('tells a connection never made from one cut after sending, and a timeout', () => {
    expect(classifyWorkOSError(network('ECONNREFUSED'))).toMatchObject({ kind: 'transient', code: 'ECONNREFUSED', connection: true, sent: false });
    expect(classifyWorkOSError(network('UND_ERR_SOCKET'))).toMatchObject({ kind: 'transient', connection: true, sent: true });
    const timeout = Object.assign(new Error('Error: Request timeout'), { name: 'OauthException', status: 408 });
    expect(classifyWorkOSError(timeout)).toMatchObject({ kind: 'transient', code: 'timeout', connection: true });
    const server = Object.assign(new Error('Internal server error'), { status: 500, rawData: { code: 'server_error' } });
    expect(classifyWorkOSError(server)).toMatchObject({ kind: 'transient', code: 'server_error' });
    expect(classifyWorkOSError(server)).not.toHaveProperty('connection');
  });
});

describe('refusedDomains', () => {
  const domains = ['acme.example.com', 'gmail.com'];
  it('names the refused domain by its field index or by name; says unknown when the answer does not say which', () => {
    expect(refusedDomains(classifyWorkOSError(badRequest('invalid_request_parameters', [{ code: 'invalid_domain', field: 'domain_data[1].domain' }])), domains)).toEqual(['gmail.com']);
    const named = Object.assign(new Error('gmail.com is a consumer domain'), { status: 400, rawData: { code: 'domain_not_allowed', message: 'gmail.com is a consumer domain' } });
    expect(refusedDomains(classifyWorkOSError(named), domains)).toEqual(['gmail.com']);
    expect(refusedDomains(classifyWorkOSError(unprocessable(['invalid_domain'])), domains)).toBe('unknown');
    expect(refusedDomains(classifyWorkOSError(unprocessable(['invalid_domain'])), ['gmail.com'])).toEqual(['gmail.com']);
  });

  it('is null for an answer about something else', () => {
    expect(refusedDomains(classifyWorkOSError(unprocessable(['metadata_too_many_keys'])), domains)).toBeNull();
    expect(refusedDomains(classifyWorkOSError(network('ECONNREFUSED')), domains)).toBeNull();
  });
});

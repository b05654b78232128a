import { describe, expect, it } from '@jest/globals';
import { isPlainHttpAnswer, notTlsError } from '../src/index.js';

// Pure logic: which errors are a TLS handshake answered in plain HTTP, and the message made of one. (The real
// handshakes are in the providers' plain-http-tls test and the CLI's serve-start-checks test.)
const openssl = Object.assign(
  new Error('write EPROTO 40F8E1B5:error:0A00010B:SSL routines:ssl3_get_record:wrong version number'),
  { code: 'EPROTO' },
);

describe('isPlainHttpAnswer', () => {
  it('knows OpenSSL’s words and Node’s codes, also under the causes an SDK or fetch wraps them in', () => {
    expect(isPlainHttpAnswer(openssl)).toBe(true);
    expect(isPlainHttpAnswer({ code: 'ERR_SSL_WRONG_VERSION_NUMBER', message: 'x' })).toBe(true);
    expect(isPlainHttpAnswer({ code: 'ERR_SSL_PACKET_LENGTH_TOO_LONG' })).toBe(true);
    expect(isPlainHttpAnswer(new TypeError('fetch failed', { cause: openssl }))).toBe(true);
    expect(isPlainHttpAnswer(new Error('outer', { cause: new Error('mid', { cause: openssl }) }))).toBe(true);
  });

  it('is false for other failures', () => {
    for (const err of [
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
      Object.assign(new Error('certificate has expired'), { code: 'CERT_HAS_EXPIRED' }),
      undefined,
      null,
      'wrong',
    ]) {
      expect(isPlainHttpAnswer(err)).toBe(false);
    }
  });
});

describe('notTlsError', () => {
  it('CONFIG_INVALID, not retryable, naming the address and its http:// form (secrets hidden)', () => {
    const error = notTlsError(openssl, 'https://u:pw@h:8000', { provider: 'ufs', operation: 'upload', path: 'a' });
    expect(error).toBeDefined();
    expect([error!.code, error!.retryable, error!.cause]).toEqual(['CONFIG_INVALID', false, openssl]);
    expect(error!.message).toBe(
      '[ufs] [ufs] upload "a": the server does not speak TLS (HTTPS) at https://h:8000 (it answers without TLS): if it serves plain HTTP, try http://h:8000',
    );
  });

  it('"this address" when the context already names it; the fix as the caller words it', () => {
    const base = 'https://127.0.0.1:9000';
    const error = notTlsError(openssl, base, { backend: 'server', operation: 'GET /x', path: base }, (plain) => {
      return `try --server ${plain}`;
    });
    expect(error!.message).toBe(
      `[ufs] [server] GET /x "${base}": the server does not speak TLS (HTTPS) at this address (it answers without TLS): if it serves plain HTTP, try --server http://127.0.0.1:9000`,
    );
  });

  it('undefined for an http:// URL or another failure', () => {
    expect(notTlsError(openssl, 'http://h:1', {})).toBeUndefined();
    expect(notTlsError(new Error('socket hang up'), 'https://h:1', {})).toBeUndefined();
  });
});

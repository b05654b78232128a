import { redactUrl } from './redact-url.js';
import { UfsError, describeContext, type ErrorContext } from './ufs-error.js';

/** OpenSSL's words (and Node's codes) for a TLS handshake answered without TLS (plain HTTP, or another protocol). */
const PLAIN_CODES = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG']);
const PLAIN_WORDS = /wrong version number|packet length too long/i;

/**
 * Whether `err`, or one of its causes (an SDK or `fetch failed` wraps the socket's error), is the TLS handshake
 * failing because the server answered without TLS (plain HTTP, an SSH banner, …): OpenSSL's `wrong version number` (EPROTO) and its kin.
 */
export function isPlainHttpAnswer(err: unknown): boolean {
  let cause = err;
  for (let depth = 0; cause !== null && typeof cause === 'object' && depth < 5; depth++) {
    const { code, message } = cause as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && PLAIN_CODES.has(code)) return true;
    if (typeof message === 'string' && PLAIN_WORDS.test(message)) return true;
    cause = (cause as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * For a request to an `https://` URL whose server does not speak TLS (a plain HTTP server, or another protocol:
 * OpenSSL says `wrong version number` for both), the configuration error saying so instead of a raw OpenSSL error:
 * `CONFIG_INVALID`, not retryable (the same address fails the same way each time), e.g. `[ufs] [ufs] upload "a.bin":
 * the server does not speak TLS (HTTPS) at https://127.0.0.1:8000 (it answers without TLS): if it serves plain HTTP,
 * try http://127.0.0.1:8000`. `url` is the address the user gave (a base URL, an endpoint); it is named "this
 * address" when it is the context's `path`. `fix` says what to do with the `http://` address (default: `try <it>`).
 * Undefined for any other failure, or a URL that is not `https://`.
 */
export function notTlsError(
  err: unknown,
  url: string,
  context: ErrorContext,
  fix: (plainUrl: string) => string = (plain) => `try ${plain}`,
): UfsError | undefined {
  if (!/^https:/i.test(url) || !isPlainHttpAnswer(err)) return undefined;
  const plain = redactUrl(url.replace(/^https:/i, 'http:'));
  const where = context.path === url ? 'this address' : redactUrl(url);
  return new UfsError(
    'CONFIG_INVALID',
    `${describeContext(context)} the server does not speak TLS (HTTPS) at ${where} (it answers without TLS): if it serves plain HTTP, ${fix(plain)}`,
    { cause: err, context, retryable: false },
  );
}

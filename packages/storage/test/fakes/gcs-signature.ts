import { createHash, createVerify, type KeyObject } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * Checks a V4 signed URL (GOOG4-RSA-SHA256) the way Cloud Storage documents it
 * (https://cloud.google.com/storage/docs/authentication/signatures): rebuild the canonical request from the
 * request itself, hash it, rebuild the string to sign and verify the RSA signature with the service account's
 * public key; then check the validity window. Returns undefined when valid, else the XML error code and status.
 *
 * Differences from Google: the fake knows public keys only for the service accounts the test registers; the
 * `host` header is compared without the port (the SDK signs the hostname only; real GCS is on port 443).
 */
export function checkSignedUrl(
  req: IncomingMessage,
  url: URL,
  keys: ReadonlyMap<string, KeyObject>,
): { status: number; code: string; message: string } | undefined {
  const q = url.searchParams;
  if (q.get('X-Goog-Algorithm') !== 'GOOG4-RSA-SHA256') {
    return { status: 400, code: 'InvalidArgument', message: 'only GOOG4-RSA-SHA256 is supported by this fake' };
  }
  const credential = q.get('X-Goog-Credential') ?? '';
  const [email, ...scopeParts] = credential.split('/');
  const scope = scopeParts.join('/');
  const key = email ? keys.get(email) : undefined;
  if (!key) return { status: 403, code: 'AccessDenied', message: `unknown service account ${email}` };
  const date = q.get('X-Goog-Date') ?? '';
  const expires = Number(q.get('X-Goog-Expires'));
  const signature = q.get('X-Goog-Signature') ?? '';
  const signedHeaders = (q.get('X-Goog-SignedHeaders') ?? '').split(';').filter(Boolean);

  const query = [...q.entries()]
    .filter(([name]) => name !== 'X-Goog-Signature')
    .map(([name, value]) => [rfc3986(name), rfc3986(value)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : 1))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  const headers = signedHeaders
    .map((name) => {
      let value = name === 'host' ? (req.headers.host ?? '').replace(/:\d+$/, '') : req.headers[name];
      if (Array.isArray(value)) value = value.join(',');
      return `${name}:${String(value ?? '')
        .trim()
        .replace(/\s{2,}/g, ' ')}\n`;
    })
    .join('');
  const canonicalRequest = [
    req.method,
    url.pathname,
    query,
    headers,
    signedHeaders.join(';'),
    req.headers['x-goog-content-sha256'] ?? 'UNSIGNED-PAYLOAD',
  ].join('\n');
  const stringToSign = [
    'GOOG4-RSA-SHA256',
    date,
    scope,
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');
  const valid =
    /^[0-9a-f]+$/.test(signature) &&
    createVerify('RSA-SHA256').update(stringToSign).verify(key, Buffer.from(signature, 'hex'));
  if (!valid) {
    return {
      status: 403,
      code: 'SignatureDoesNotMatch',
      message: 'Access denied. The request signature we calculated does not match the signature you provided.',
    };
  }
  const start = Date.parse(date.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
  if (!Number.isFinite(start) || !Number.isFinite(expires)) {
    return { status: 400, code: 'AuthorizationQueryParametersError', message: 'bad X-Goog-Date or X-Goog-Expires' };
  }
  if (Date.now() > start + expires * 1000) return { status: 400, code: 'ExpiredToken', message: 'Request has expired' };
  return undefined;
}

/** Percent-encoding of everything but RFC 3986 unreserved characters. */
function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

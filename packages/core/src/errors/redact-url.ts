/**
 * Query parameters whose value is a secret or grants access: passwords, keys and tokens, and the signatures and
 * credentials of presigned/SAS URLs (`X-Amz-Signature`, `X-Amz-Credential`, `X-Amz-Security-Token`,
 * `X-Goog-Signature`, Azure's `sig`). Matched on the name, case-insensitively, ignoring `-` and `_`.
 */
const SECRET_PARAM =
  /^(?:.*(?:secret|password|passwd|token|signature|credential|apikey|accesskey|privatekey)|pwd|pass|sig|key|auth|authorization)$/;

function redactQuery(query: string): string {
  return query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq < 0) return pair;
      let name = pair.slice(0, eq);
      try {
        name = decodeURIComponent(name.replace(/\+/g, ' '));
      } catch {
        // a malformed escape: the name as written
      }
      const bare = name.toLowerCase().replace(/[-_]/g, '');
      return SECRET_PARAM.test(bare) && eq < pair.length - 1 ? `${pair.slice(0, eq)}=***` : pair;
    })
    .join('&');
}

/**
 * A URL as it may appear in a message or a log: the user info (`user:password@`) of a `scheme://` URL is left out,
 * and the values of query parameters that hold a secret (`?secretAccessKey=…`, `password=`, `token=`, the signature
 * and credential of a presigned or SAS URL) are shown as `***`. The last `@` before the path ends the user info, so
 * a password with an unescaped `@` does not leak its tail. Text that is not such a URL is returned as it is.
 */
export function redactUrl(url: string): string {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)([^?#]*)(\?[^#]*)?(#.*)?$/is.exec(url);
  if (!match) return url;
  const [, scheme, authority, path, query = '', fragment = ''] = match as unknown as [
    string,
    string,
    string,
    string,
    string | undefined,
    string | undefined,
  ];
  const at = authority.lastIndexOf('@');
  const host = at < 0 ? authority : authority.slice(at + 1);
  const safeQuery = query === '' ? '' : `?${redactQuery(query.slice(1))}`;
  return `${scheme}${host}${path}${safeQuery}${fragment}`;
}

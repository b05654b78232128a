/**
 * A URL as it may appear in a message or a log: the user info (`user:password@`) of a `scheme://` URL is left out.
 * The last `@` before the path ends the user info, so a password with an unescaped `@` does not leak its tail.
 * Text that is not such a URL is returned as it is.
 */
export function redactUrl(url: string): string {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/is.exec(url);
  if (!match) return url;
  const [, scheme, authority, rest] = match as unknown as [string, string, string, string];
  const at = authority.lastIndexOf('@');
  return at < 0 ? url : `${scheme}${authority.slice(at + 1)}${rest}`;
}

/**
 * Builds public URLs from a configured base URL (`baseUrl`, `publicBaseUrl`): the key's path, already
 * percent-encoded, goes at the end of the base's path, before its query string and fragment, which are kept (a
 * signed CDN base such as `https://cdn.example.com/x/?sig=abc` gives `https://cdn.example.com/x/a/b.jpg?sig=abc`).
 * Trailing slashes of the base's path are dropped; the rest of the base is kept exactly as written.
 */
export function urlJoiner(base: string): (encodedPath: string) => string {
  const cut = base.search(/[?#]/);
  const head = (cut === -1 ? base : base.slice(0, cut)).replace(/\/+$/, '');
  const tail = cut === -1 ? '' : base.slice(cut);
  return (encodedPath) => `${head}/${encodedPath}${tail}`;
}

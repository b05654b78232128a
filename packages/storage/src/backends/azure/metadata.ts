/**
 * Azure metadata travels as `x-ms-meta-<name>` headers: names must be C# identifiers (no `-`, no Unicode) and come
 * back lower-cased, values must be ASCII without surrounding spaces. User metadata is free-form elsewhere (S3, GCS,
 * local), so names and values Azure cannot hold verbatim are stored in a reversible encoding:
 * a name becomes `ufsx_<hex of its UTF-8>`, a value becomes `ufsx:b64:<base64 of its UTF-8>`.
 * Plain lower-case identifiers and printable ASCII values are stored as they are, readable by other tools.
 */
const NAME_PREFIX = 'ufsx_';
const VALUE_PREFIX = 'ufsx:b64:';
const PLAIN_NAME = /^[a-z_][a-z0-9_]*$/;
const PLAIN_VALUE = /^(?:[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?)?$/;

export function encodeMetadata(metadata: Record<string, string> | undefined): Record<string, string> | undefined {
  if (metadata === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(metadata)) {
    const plainName = PLAIN_NAME.test(name) && !name.startsWith(NAME_PREFIX);
    const plainValue = PLAIN_VALUE.test(value) && !value.startsWith(VALUE_PREFIX);
    const storedName = plainName ? name : NAME_PREFIX + Buffer.from(name, 'utf8').toString('hex');
    out[storedName] = plainValue ? value : VALUE_PREFIX + Buffer.from(value, 'utf8').toString('base64');
  }
  return out;
}

export function decodeMetadata(stored: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [storedName, storedValue] of Object.entries(stored ?? {})) {
    const lower = storedName.toLowerCase();
    const name =
      lower.startsWith(NAME_PREFIX) && /^[0-9a-f]*$/.test(lower.slice(NAME_PREFIX.length))
        ? Buffer.from(lower.slice(NAME_PREFIX.length), 'hex').toString('utf8')
        : storedName;
    out[name] = storedValue.startsWith(VALUE_PREFIX)
      ? Buffer.from(storedValue.slice(VALUE_PREFIX.length), 'base64').toString('utf8')
      : storedValue;
  }
  return out;
}

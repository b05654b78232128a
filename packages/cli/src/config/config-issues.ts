import { z } from 'zod';

/**
 * zod's issues as config-file problems people read: the full path of the key (`upload.verify`), what it must be, and
 * what it was — `upload.verify: must be true or false (got "no")`, `upload.providrs: unknown key (did you mean
 * providers?)` — instead of zod's `Invalid input: expected boolean, received string` or `(root): Unrecognized key`.
 * The schemas' own messages (e.g. `must be a whole number from 1 to 20, got 25`) are kept as written.
 */

type Issue = z.core.$ZodIssue & { input?: unknown };

/** A value as the problem quotes it: text in quotes, a list or a map by its kind. */
export function describeInput(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  return String(value);
}

const KINDS: Record<string, string> = {
  boolean: 'true or false',
  number: 'a number',
  int: 'a whole number',
  string: 'a text',
  array: 'a list',
  object: 'a map of settings',
  record: 'a map of settings',
};

/** The schema at `path` inside `schema` (through optional wrappers and objects), to list the keys it takes. */
function schemaAt(schema: z.ZodType | undefined, path: readonly PropertyKey[]): z.ZodType | undefined {
  let current = schema;
  for (const key of [undefined, ...path]) {
    while (current instanceof z.ZodOptional) current = current.unwrap() as z.ZodType;
    if (key === undefined) continue;
    current = current instanceof z.ZodObject ? (current.shape as Record<string, z.ZodType>)[String(key)] : undefined;
  }
  while (current instanceof z.ZodOptional) current = current.unwrap() as z.ZodType;
  return current;
}

/** Edit distance (insertions, deletions, substitutions, adjacent swaps) of two short words. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** The known key closest to `key` (case aside, at most a third of its letters off), as git's "did you mean". */
export function closest(key: string, known: readonly string[]): string | undefined {
  let found: { name: string; score: number } | undefined;
  for (const name of known) {
    const score = distance(key.toLowerCase(), name.toLowerCase());
    if (score <= Math.max(1, Math.floor(name.length / 3)) && (!found || score < found.score)) found = { name, score };
  }
  return found?.name;
}

/** One issue as one or more `path: problem` lines; `prefix` is the path of the section that `schema` validated. */
export function describeIssue(issue: Issue, schema: z.ZodType, prefix: readonly PropertyKey[] = []): string[] {
  // Dotted, list positions too (`mounts.0`, `scan.exclude.1`), as the mounts' own problems are named.
  const place = (extra: string[] = []) => [...prefix, ...issue.path, ...extra].map(String).join('.') || '(top level)';
  if (issue.code === 'unrecognized_keys') {
    const target = schemaAt(schema, issue.path);
    const known = target instanceof z.ZodObject ? Object.keys(target.shape as object) : [];
    return issue.keys.map((key) => {
      const near = closest(key, known);
      return `${place([key])}: unknown key${near ? ` (did you mean ${near}?)` : ''}`;
    });
  }
  // The schemas' own words stay; only zod's defaults (`Invalid input: …`, `Too small: …`) are reworded.
  const defaultWords = /^(Invalid|Too (small|big))\b/.test(issue.message);
  const got = 'input' in issue ? ` (got ${describeInput(issue.input)})` : '';
  if (!defaultWords) return [`${place()}: ${issue.message}`];
  switch (issue.code) {
    case 'invalid_type':
      return [`${place()}: must be ${KINDS[issue.expected] ?? issue.expected}${got}`];
    case 'too_small':
      if (issue.origin === 'string' || issue.origin === 'array') return [`${place()}: must not be empty${got}`];
      return [`${place()}: must be at least ${String(issue.minimum)}${got}`];
    case 'too_big':
      return [`${place()}: must be at most ${String(issue.maximum)}${got}`];
    case 'invalid_format':
      return [`${place()}: must be a valid ${issue.format === 'url' ? 'URL' : issue.format}${got}`];
    default:
      return [`${place()}: ${issue.message.replace(/^Invalid input: /, '')}${got}`];
  }
}

/** The problems of a failed parse, each naming its full path (see `describeIssue`). */
export function describeIssues(error: z.ZodError, schema: z.ZodType, prefix: readonly PropertyKey[] = []): string[] {
  return error.issues.flatMap((issue) => describeIssue(issue as Issue, schema, prefix));
}

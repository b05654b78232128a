/**
 * Most hashes a `gc` or `verify` report lists of one kind: a huge catalogue must not build a huge response. The
 * counts stay exact (`<kind>Count`), and `truncated` says that some list was cut.
 */
export const REPORT_LIST_LIMIT = 1000;

/** Appends `sha256` to `list` while it holds fewer than REPORT_LIST_LIMIT hashes; true when it was listed. */
export function listCapped(list: string[], sha256: string): boolean {
  if (list.length >= REPORT_LIST_LIMIT) return false;
  list.push(sha256);
  return true;
}

/** A report with capped lists of hashes by kind, each with its exact `<kind>Count`, and `truncated`. */
export type CappedReport<K extends string> = { [P in K]: string[] } & { [P in `${K}Count`]: number } & {
  truncated: boolean;
};

/** Counts `sha256` as one of `kind` and lists it while the list is under the cap (else marks the report truncated). */
export function noteCapped<K extends string>(report: CappedReport<K>, kind: K, sha256: string): boolean {
  const counts = report as unknown as Record<string, number>;
  counts[`${kind}Count`] = (counts[`${kind}Count`] ?? 0) + 1;
  const listed = listCapped((report as unknown as Record<K, string[]>)[kind], sha256);
  if (!listed) report.truncated = true;
  return listed;
}

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

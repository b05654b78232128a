/** A MongoDB URI as it may be shown in messages and logs: without its user info (user and password). */
export function redactMongoUri(uri: string): string {
  return uri.replace(/\/\/[^@/]*@/, '//');
}

export async function benchS3(): Promise<string[]> {
  return [];
}

import { writeOut } from './stdout.js';

/**
 * A JSON array written to stdout item by item, laid out as oclif prints a returned array (`JSON.stringify(x, null,
 * 2)`), so `--json` output keeps its documented form while nothing is held whole (a listing of 1e5 entries, the
 * texts of many files). An empty array is `[]`.
 */
export class JsonArrayOut {
  private count = 0;
  private ended = false;

  /** Whether `[` is already on stdout (a failure then can only close the array, not replace it). */
  get started(): boolean {
    return this.count > 0 && !this.ended;
  }

  async item(value: unknown): Promise<void> {
    const body = JSON.stringify(value, null, 2).replace(/\n/g, '\n  ');
    await writeOut(`${this.count++ === 0 ? '[\n' : ',\n'}  ${body}`);
  }

  async end(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    await writeOut(this.count === 0 ? '[]\n' : '\n]\n');
  }
}

/**
 * Lines printed in the order of their index as soon as every earlier one is there: line N goes out once items
 * 1..N are settled, whatever order they settle in.
 */
export class InOrder<T> {
  private readonly ready = new Map<number, T>();
  private next = 0;

  constructor(private readonly emit: (value: T, index: number) => void) {}

  add(index: number, value: T): void {
    this.ready.set(index, value);
    while (this.ready.has(this.next)) {
      const current = this.ready.get(this.next)!;
      this.ready.delete(this.next);
      this.emit(current, this.next++);
    }
  }
}

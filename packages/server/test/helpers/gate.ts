/** One call held until the test lets it go: `reached` resolves when the held call is made (a deterministic interleaving). */
export class Gate {
  private armed = false;
  reached!: Promise<void>;
  private hit!: () => void;
  private open!: () => void;
  private opened!: Promise<void>;

  /** Holds the next call that passes (once). */
  arm(): void {
    this.armed = true;
    this.reached = new Promise((resolve) => (this.hit = resolve));
    this.opened = new Promise((resolve) => (this.open = resolve));
  }

  /** Called by the wrapper: waits for `release` when armed. */
  async pass(): Promise<void> {
    if (!this.armed) return;
    this.armed = false;
    this.hit();
    await this.opened;
  }

  release(): void {
    this.open();
  }
}

/**
 * The real object, its `method` passing `gate` first on each call whose arguments `when` picks (while the gate is
 * armed). Every other method is the real one, bound to the real object.
 */
export function gated<T extends object>(
  target: T,
  method: string,
  gate: Gate,
  when: (...args: unknown[]) => boolean = () => true,
): T {
  return new Proxy(target, {
    get(inner, prop) {
      const value = Reflect.get(inner, prop, inner) as unknown;
      if (typeof value !== 'function') return value;
      const fn = value as (...args: unknown[]) => unknown;
      if (prop !== method) return fn.bind(inner);
      return async (...args: unknown[]) => {
        if (when(...args)) await gate.pass();
        return fn.apply(inner, args);
      };
    },
  });
}

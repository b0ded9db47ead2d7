/**
 * Holds a handler on a promise until the test releases it: no timers, so a test can wait for
 * "the handler is running" and decide when it finishes.
 */
export class Gate {
  /** Resolves once a handler has reached the gate. */
  readonly entered: Promise<void>;
  private readonly opened: Promise<void>;
  private markEntered!: () => void;
  private open!: () => void;

  constructor() {
    this.entered = new Promise((resolve) => (this.markEntered = resolve));
    this.opened = new Promise((resolve) => (this.open = resolve));
  }

  /** Called by the handler: waits until the test releases the gate. */
  pass(): Promise<void> {
    this.markEntered();
    return this.opened;
  }

  release(): void {
    this.open();
  }
}

/** Gates by name, so a request can name the gate its handler waits at (header `X-Gate`). */
export class Gates {
  private readonly gates = new Map<string, Gate>();

  /** Creates the gate `name` (replacing an older one of that name). */
  create(name: string): Gate {
    const gate = new Gate();
    this.gates.set(name, gate);
    return gate;
  }

  /** Waits at the gate `name` if the test created one; passes at once otherwise. */
  async pass(name: string | undefined): Promise<void> {
    const gate = name === undefined ? undefined : this.gates.get(name);
    if (gate) await gate.pass();
  }

  /** Releases every gate, so no handler stays held after a test. */
  releaseAll(): void {
    for (const gate of this.gates.values()) gate.release();
    this.gates.clear();
  }
}

/** The gates every fixture handler consults. */
export const gates = new Gates();

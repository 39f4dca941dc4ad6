// A FIFO async mutex. node:sqlite runs statements synchronously on one connection, so a
// transaction that awaits between statements must hold this until it commits; otherwise
// other work would run inside it.

export class Mutex {
  #tail: Promise<void> = Promise.resolve();

  async run<T>(fn: () => Promise<T>): Promise<T> {
    const previous = this.#tail;
    let release!: () => void;
    this.#tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

/**
 * An in-process mutex per key: `run(key, fn)` runs fn after every earlier fn for the same key has
 * settled. FerretDB applies updates as read-modify-write without isolation (concurrent `$inc` and
 * conditional updates lose writes; only unique-index inserts are atomic), so a service serializes
 * its own read-compute-write sequences per entity with this, and relies on unique indexes for what
 * must hold across processes.
 */
export function createKeyedMutex() {
  const tails = new Map<string, Promise<unknown>>();
  return {
    async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
      const previous = tails.get(key) ?? Promise.resolve();
      const result = previous.then(fn, fn);
      const tail = result.then(() => undefined, () => undefined);
      tails.set(key, tail);
      try {
        return await result;
      } finally {
        if (tails.get(key) === tail) tails.delete(key);
      }
    },
  };
}

export type KeyedMutex = ReturnType<typeof createKeyedMutex>;

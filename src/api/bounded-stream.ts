/**
 * Runs `work` on each item of an async source with at most `limit` running at once and yields the results in
 * completion order. At the limit it stops reading the source, so a transport's flow control holds the sender
 * back (backpressure). A `work` that rejects ends the output with that error.
 */
export async function* boundedConcurrentMap<T, R>(source: AsyncIterable<T>, limit: number, work: (item: T) => Promise<R>): AsyncGenerator<R> {
  const iterator = source[Symbol.asyncIterator]();
  const finished: R[] = [];
  let failure: { error: unknown } | undefined;
  let running = 0;
  let exhausted = false;
  let pendingRead: Promise<IteratorResult<T>> | undefined;
  let wake: (() => void) | undefined;
  const signal = (): void => {
    wake?.();
    wake = undefined;
  };
  const start = (item: T): void => {
    running++;
    work(item).then(
      (r) => finished.push(r),
      (error: unknown) => (failure ??= { error }),
    ).finally(() => {
      running--;
      signal();
    });
  };
  while (true) {
    while (finished.length > 0) yield finished.shift()!;
    if (failure !== undefined) throw failure.error;
    if (exhausted && running === 0) return;
    if (!exhausted && running < limit && pendingRead === undefined) {
      pendingRead = iterator.next();
      pendingRead.then(
        (r) => {
          pendingRead = undefined;
          if (r.done === true) exhausted = true;
          else start(r.value);
          signal();
        },
        (error: unknown) => {
          pendingRead = undefined;
          exhausted = true;
          failure ??= { error };
          signal();
        },
      );
    }
    await new Promise<void>((resolve) => (wake = resolve));
  }
}

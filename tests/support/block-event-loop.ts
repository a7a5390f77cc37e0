/**
 * Holds this thread for `ms` without using the CPU (Atomics.wait): the event loop is blocked as a
 * heavy render or a long pause would block it, and a spinning loop would take a core the other
 * tests need.
 */
export function blockEventLoop(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

// A background task of the server process, repeated: a failure (a busy database, a full disk) is logged and the next
// round tries again, and the timer never keeps the process alive on its own.
export function every(ms: number, what: string, run: () => void): void {
  setInterval(() => {
    try {
      run();
    } catch (e) {
      console.error(`${what} failed:`, e);
    }
  }, ms).unref();
}

// Progress of long CLI work on a terminal (one line, rewritten in place, on stderr); nothing when piped or logged.
export function terminalProgress(label: string): { update: (phase: string, done: number, total: number) => void; end: () => void } {
  const tty = process.stderr.isTTY;
  let shown = false;
  return {
    update(phase, done, total) {
      if (!tty) return;
      const pct = total > 0 ? Math.floor((100 * done) / total) : 100;
      process.stderr.write(`\r\x1b[K${label}: ${phase} ${pct}% (${done}/${total})`);
      shown = true;
    },
    end() {
      if (shown) process.stderr.write('\r\x1b[K');
    },
  };
}

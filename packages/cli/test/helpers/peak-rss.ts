import { readFileSync } from 'node:fs';

/**
 * The peak resident memory of a running process (Linux): the kernel's high-water mark, VmHWM in
 * /proc/<pid>/status, read every `intervalMs` until `stop()`. The mark only grows, so a read sees every peak
 * before it; only the last interval before the process exits goes unseen. `samples` tells the reads succeeded.
 */
export function watchPeakRss(pid: number, intervalMs = 100): { stop(): { peakBytes: number; samples: number } } {
  let peakBytes = 0;
  let samples = 0;
  const read = () => {
    try {
      const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (!hwm) return; // exited (a zombie has no memory lines)
      peakBytes = Math.max(peakBytes, Number(hwm[1]) * 1024);
      samples++;
    } catch {
      // gone
    }
  };
  read();
  const timer = setInterval(read, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return { peakBytes, samples };
    },
  };
}

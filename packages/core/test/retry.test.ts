import { describe, expect, it } from '@jest/globals';
import { backoffDelay, formatSeconds, retry, sleep, UfsError, type RetryPolicy } from '../src/index.js';

function recorder(): { delays: number[]; sleep: NonNullable<RetryPolicy['sleep']> } {
  const delays: number[] = [];
  return { delays, sleep: async (ms) => void delays.push(ms) };
}

const transient = () => new UfsError('UNAVAILABLE', 'try again');

describe('backoffDelay', () => {
  it('grows exponentially up to the cap', () => {
    const policy = { baseDelayMs: 100, maxDelayMs: 1000, jitter: 'none' as const };
    expect([1, 2, 3, 4, 5].map((a) => backoffDelay(a, policy))).toEqual([100, 200, 400, 800, 1000]);
  });

  it('applies full and equal jitter', () => {
    expect(backoffDelay(3, { baseDelayMs: 100 }, () => 0.5)).toBe(200);
    expect(backoffDelay(3, { baseDelayMs: 100, jitter: 'equal' }, () => 0)).toBe(200);
    expect(backoffDelay(3, { baseDelayMs: 100, jitter: 'equal' }, () => 1)).toBe(400);
  });
});

describe('formatSeconds', () => {
  it.each([
    [0, '0 ms'],
    [40, '40 ms'],
    [99.4, '99 ms'],
    [99.6, '0.1 s'],
    [300, '0.3 s'],
    [1250, '1.3 s'],
    [2000, '2 s'],
    [2040, '2 s'],
    [9940, '9.9 s'],
    [9960, '10 s'],
    [10_400, '10 s'],
    [60_000, '60 s'],
    [3_600_000, '3600 s'],
  ])('%d ms reads as %s', (ms, text) => {
    expect(formatSeconds(ms)).toBe(text);
  });
});

describe('retry', () => {
  it('retries transient errors, then succeeds', async () => {
    const r = recorder();
    let calls = 0;
    const value = await retry(
      async ({ attempt }) => {
        calls++;
        if (attempt < 3) throw transient();
        return 'ok';
      },
      { sleep: r.sleep, random: () => 1, baseDelayMs: 10 },
    );
    expect(value).toBe('ok');
    expect(calls).toBe(3);
    expect(r.delays).toEqual([10, 20]);
  });

  it('does not retry permanent errors', async () => {
    let calls = 0;
    const err = await retry(async () => {
      calls++;
      throw new UfsError('PERMISSION_DENIED', 'no');
    }).catch((e: unknown) => e);
    expect(calls).toBe(1);
    expect((err as UfsError).code).toBe('PERMISSION_DENIED');
    expect((err as UfsError).context.attempts).toBe(1);
  });

  it('gives up after maxAttempts with the last error', async () => {
    const r = recorder();
    let calls = 0;
    const err = await retry(
      async () => {
        calls++;
        throw new UfsError('UNAVAILABLE', `failure ${calls}`);
      },
      { maxAttempts: 3, sleep: r.sleep },
    ).catch((e: unknown) => e);
    expect(calls).toBe(3);
    expect((err as UfsError).message).toBe('failure 3');
    expect((err as UfsError).context.attempts).toBe(3);
  });

  it('honours Retry-After over backoff', async () => {
    const r = recorder();
    let calls = 0;
    await retry(
      async () => {
        if (calls++ === 0) throw new UfsError('RATE_LIMITED', 'slow', { retryAfterMs: 1234 });
        return 1;
      },
      { sleep: r.sleep },
    );
    expect(r.delays).toEqual([1234]);
  });

  it('stops when Retry-After exceeds what it may wait', async () => {
    let calls = 0;
    const err = await retry(
      async () => {
        calls++;
        throw new UfsError('RATE_LIMITED', 'come back tomorrow', { retryAfterMs: 86_400_000 });
      },
      { sleep: recorder().sleep },
    ).catch((e: unknown) => e);
    expect(calls).toBe(1);
    expect((err as UfsError).code).toBe('RATE_LIMITED');
    // The reason is in the message: a retryable error that was never retried would be a puzzle otherwise.
    expect((err as UfsError).message).toBe(
      'come back tomorrow (the server asked to retry after 86400 s, more than the 60 s limit)',
    );
    expect((err as UfsError).context.attempts).toBe(1);
  });

  it('names a Retry-After and a cap under 10 s with one decimal, as the transport names its timeouts', async () => {
    const err = await retry(
      async () => {
        throw new UfsError('RATE_LIMITED', 'slow down', { retryAfterMs: 2040 });
      },
      { sleep: recorder().sleep, maxRetryAfterMs: 1500 },
    ).catch((e: unknown) => e);
    expect((err as UfsError).message).toBe(
      'slow down (the server asked to retry after 2 s, more than the 1.5 s limit)',
    );
  });

  it('respects the overall deadline', async () => {
    let calls = 0;
    await expect(
      retry(
        async () => {
          calls++;
          throw transient();
        },
        { maxAttempts: 10, baseDelayMs: 40, jitter: 'none', deadlineMs: 100 },
      ),
    ).rejects.toThrow('try again');
    // 40 ms + 80 ms would pass the 100 ms deadline: the second wait is never started.
    expect(calls).toBe(2);
  });

  it('classifies plain Node errors (ECONNRESET is retried)', async () => {
    let calls = 0;
    const value = await retry(
      async () => {
        if (calls++ === 0) throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
        return 'second time';
      },
      { sleep: recorder().sleep },
    );
    expect(value).toBe('second time');
  });

  it('aborts a wait in progress', async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 30);
    const err = await retry(
      async () => {
        throw transient();
      },
      { baseDelayMs: 10_000, jitter: 'none', signal: controller.signal },
    ).catch((e: unknown) => e);
    expect((err as UfsError).code).toBe('ABORTED');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('keeps the context of the failed attempt in the message of an abort (during the wait and during an attempt)', async () => {
    const context = { provider: '0x0', operation: 'upload', path: 'a.bin' };
    const waiting = new AbortController();
    setTimeout(() => waiting.abort(), 30);
    const duringWait = await retry(
      async () => {
        throw new UfsError('UNAVAILABLE', 'busy', { context });
      },
      { baseDelayMs: 10_000, jitter: 'none', signal: waiting.signal },
    ).catch((e: unknown) => e as UfsError);
    expect(duringWait).toMatchObject({ code: 'ABORTED', context: { ...context, attempts: 1 } });
    expect(duringWait.message).toBe('[ufs] [0x0] upload "a.bin": aborted while waiting to retry');

    const attempt = new AbortController();
    const duringAttempt = await retry(
      async () => {
        attempt.abort();
        throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      },
      { signal: attempt.signal },
    ).catch((e: unknown) => e as UfsError);
    expect(duringAttempt.code).toBe('ABORTED');
    expect(duringAttempt.message).toBe('[ufs] aborted');
    const withContext = new AbortController();
    const named = await retry(
      async () => {
        withContext.abort();
        throw new UfsError('UNAVAILABLE', 'x', { context });
      },
      { signal: withContext.signal },
    ).catch((e: unknown) => e as UfsError);
    expect(named.message).toBe('[ufs] [0x0] upload "a.bin": aborted');
  });

  it('turns an aborted timeout signal into TIMEOUT', async () => {
    const err = await sleep(10_000, AbortSignal.timeout(10)).catch((e: unknown) => e);
    expect((err as UfsError).code).toBe('TIMEOUT');
  });

  it('does not start when already aborted, and reports retries', async () => {
    const controller = new AbortController();
    controller.abort();
    let calls = 0;
    await expect(retry(async () => calls++, { signal: controller.signal })).rejects.toMatchObject({ code: 'ABORTED' });
    expect(calls).toBe(0);
    const seen: number[] = [];
    let n = 0;
    await retry(
      async () => {
        if (n++ < 2) throw transient();
      },
      { sleep: recorder().sleep, onRetry: ({ attempt }) => seen.push(attempt) },
    );
    expect(seen).toEqual([1, 2]);
  });
});

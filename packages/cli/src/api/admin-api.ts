import { UfsError, describeContext, redactUrl, toUfsError, type RetryPolicy } from '@org/core';
import type { Answer, AnswerName } from './admin-answers.js';
import { DedupClient, RETRY, type ServerTarget } from './dedup-client.js';

export interface AdminApiOptions {
  /** Seconds to wait for each answer; 0: no limit. */
  timeoutSeconds: number;
  /** A line shown with --verbose (what is being waited for). */
  debugNote: (line: string) => void;
}

/**
 * The admin endpoints of a dedup server, for `ufs server …`: every request has a deadline (`--timeout`: a server
 * that takes the connection and never answers ends in TIMEOUT naming the request, not in a hang) and every answer
 * is checked against what the endpoint answers (admin-answers.ts) before it is used: a server that answers
 * something else ends in UNEXPECTED naming the request and what was wrong, not in a TypeError or a false success.
 */
export class AdminApi {
  readonly client: DedupClient;
  /** The answers' schemas: zod loads (~90 ms) while the first request is on its way. */
  private readonly answers = import('./admin-answers.js');

  constructor(
    target: ServerTarget,
    private readonly options: AdminApiOptions,
  ) {
    const { timeoutSeconds } = options;
    this.client = new DedupClient(target, timeoutSeconds > 0 ? { timeoutMs: timeoutSeconds * 1000 } : {});
  }

  /**
   * One request, its answer checked as `answer`. `retry`: retried on transient failures (idempotent reads only),
   * never after a timeout (a server that did not answer in time is not asked again, and again).
   */
  async call<N extends AnswerName>(
    method: string,
    path: string,
    answer: N,
    options: { body?: unknown; retry?: boolean } = {},
  ): Promise<Answer<N>> {
    const value = await this.send(method, path, options.body, options.retry ?? false);
    const { checkAnswer } = await this.answers;
    const checked = checkAnswer(answer, value);
    if (checked.ok) return checked.answer;
    const context = this.context(method, path);
    throw new UfsError('UNEXPECTED', `${describeContext(context)} unexpected answer: ${checked.problem}`, {
      retryable: false,
      context,
    });
  }

  /** A request whose answer has no body to check (HEAD). */
  async head(path: string): Promise<void> {
    await this.send('HEAD', path, undefined, false);
  }

  /** Where a request went, for messages: as DedupClient says it, without the URL's user info. */
  private context(method: string, path: string) {
    return { backend: 'server', operation: `${method} ${path.split('?')[0]}`, path: redactUrl(this.client.base) };
  }

  private async send(method: string, path: string, body: unknown, retry: boolean): Promise<unknown> {
    const { timeoutSeconds } = this.options;
    const limit = timeoutSeconds > 0 ? `up to ${timeoutSeconds} s` : 'with no time limit';
    const where = redactUrl(`${this.client.base}${path}`);
    this.options.debugNote(`waiting for the answer to ${method} ${where} (${limit}, see --timeout)`);
    const policy: RetryPolicy = retry
      ? { ...RETRY, retryOn: (err) => err.retryable && err.code !== 'TIMEOUT' }
      : { maxAttempts: 1 };
    try {
      return await this.client.json<unknown>(method, path, body, policy);
    } catch (err) {
      const error = toUfsError(err);
      // Our deadline (AbortSignal.timeout), not a 504 or a connect timeout of the system.
      if ((error.cause as { name?: unknown } | undefined)?.name !== 'TimeoutError') throw error;
      const context = this.context(method, path);
      throw new UfsError(
        'TIMEOUT',
        `${describeContext(context)} no answer in ${timeoutSeconds} s (wait longer with --timeout SECONDS)`,
        { cause: err, context, retryable: false },
      );
    }
  }
}

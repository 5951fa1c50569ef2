/** Options of `ClientOptions.retryBudget`; every field has a default. */
export interface RetryBudgetOptions {
  /** Size of the token bucket. Defaults to 100. */
  readonly maxTokens?: number;
  /** Tokens a successful call puts back. Defaults to 0.5. */
  readonly tokenRatio?: number;
}

/**
 * Retry throttling as gRFC A6 describes it: a token bucket per client, full at start. Every
 * transiently failed attempt takes a token, every success gives back `tokenRatio`, and a retry is
 * allowed only while more than half the tokens remain. With the defaults, retries go on while
 * fewer than about a third of attempts fail; in a full outage they stop after about 50 failed
 * attempts, so they no longer multiply the load, and calls still make their first attempt.
 */
export class RetryBudget {
  private readonly maxTokens: number;
  private readonly tokenRatio: number;
  private tokens: number;

  constructor({ maxTokens = 100, tokenRatio = 0.5 }: RetryBudgetOptions = {}) {
    if (!(maxTokens > 0) || !(tokenRatio > 0)) {
      throw new RangeError(
        `retry budget needs maxTokens and tokenRatio above 0, got ${maxTokens} and ${tokenRatio}`,
      );
    }
    this.maxTokens = maxTokens;
    this.tokenRatio = tokenRatio;
    this.tokens = maxTokens;
  }

  /** Records an attempt that failed transiently. */
  failed(): void {
    this.tokens = Math.max(0, this.tokens - 1);
  }

  /** Records a call that succeeded. */
  succeeded(): void {
    this.tokens = Math.min(this.maxTokens, this.tokens + this.tokenRatio);
  }

  /** Whether a retry may go out now. */
  allowsRetry(): boolean {
    return this.tokens > this.maxTokens / 2;
  }
}

import { clientOptionTable } from "../client/client-option-table.js";
import { optionReader } from "../options/option-reader.js";

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

  /** Throws an InvalidOptionError naming `retryBudget.maxTokens` or `.tokenRatio` if one is bad. */
  constructor(options: RetryBudgetOptions = {}) {
    // Read as the client option `retryBudget` is: the same bounds and defaults, from its table.
    const { read } = optionReader({ retryBudget: options });
    this.maxTokens = read(clientOptionTable["retryBudget.maxTokens"]);
    this.tokenRatio = read(clientOptionTable["retryBudget.tokenRatio"]);
    this.tokens = this.maxTokens;
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

/**
 * Readiness: whether this server should be sent traffic, shared by the gRPC and HTTP health checks
 * so they never disagree.
 */

/** Answers whether the server can take calls; never rejects. */
export type ReadinessProbe = () => Promise<boolean>;

/**
 * Wraps the caller's `ready` check. A check that throws or rejects counts as not ready: a health
 * endpoint must answer, and a failing dependency check is exactly the case to report. Once
 * `draining` aborts the answer is false, so load balancers stop routing here while calls drain.
 */
export function createReadinessProbe(
  ready: (() => boolean | Promise<boolean>) | undefined,
  draining: AbortSignal,
): ReadinessProbe {
  return async () => {
    if (draining.aborted) {
      return false;
    }
    if (ready === undefined) {
      return true;
    }
    try {
      return (await ready()) === true;
    } catch {
      return false;
    }
  };
}

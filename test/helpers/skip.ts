/** The one way a test skips for a missing outside tool or addon: loudly, and never under CI=true. */

/**
 * Mark the test skipped with `reason` printed to stderr; under CI=true (where .ci/run installs every tool
 * and addon) throw instead, so a skip there is a failure.
 */
export function skipLoudly(t: { skip: (msg?: string) => void }, reason: string): void {
  const msg = reason.startsWith("SKIPPED LOUDLY") ? reason : `SKIPPED LOUDLY: ${reason}`;
  if (process.env.CI === "true") throw new Error(`${msg} (CI=true: a skip is a failure)`);
  console.error(msg);
  t.skip(msg);
}

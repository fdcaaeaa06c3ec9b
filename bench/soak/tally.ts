/** What the load counted: answers by operation and status, and every broken invariant. */

/** Kept in full; past this many, only counted (a broken server would fill the report). */
const EXAMPLES_KEPT = 20;

export class Tally {
  requests = 0;
  acknowledgedLogins = 0;
  /** Answers by operation, then by status ("reset" when the server closed the connection). */
  readonly answers: Record<string, Record<string, number>> = {};
  /** Broken invariants by kind: 5xx, lost-session, forgery-accepted, wrong-cart, … */
  readonly violations: Record<string, number> = {};
  readonly examples: string[] = [];

  answered(op: string, status: number | "reset"): void {
    this.requests++;
    this.answers[op] ??= {};
    const byStatus = this.answers[op];
    byStatus[status] = (byStatus[status] ?? 0) + 1;
  }

  violate(kind: string, message: string): void {
    this.violations[kind] = (this.violations[kind] ?? 0) + 1;
    if (this.examples.length < EXAMPLES_KEPT) this.examples.push(`${kind}: ${message}`);
  }

  get violationCount(): number {
    return Object.values(this.violations).reduce((sum, count) => sum + count, 0);
  }
}

import type { Approval } from '../api/approvals';

/** An approval's state in a word or two: `closed` when its run ended before anyone answered. */
export function statusLabel(a: Pick<Approval, 'status' | 'timed_out'>): string {
  if (a.status === 'closed') return 'closed (run ended)';
  return a.timed_out ? `${a.status} (timed out)` : a.status;
}

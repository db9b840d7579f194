import { ApiError, errorMessage } from '../api/client';
import type { Approval } from '../api/approvals';

/** Why an answer was refused, in the words the dialog shows. */
export function answerError(e: unknown, approval: Pick<Approval, 'role'> | undefined): string {
  if (e instanceof ApiError && e.status === 403)
    return `Your role in this group cannot answer this request: it takes ${approval?.role ?? 'operator'} or above.`;
  if (e instanceof ApiError && e.status === 409) return `Already answered: ${e.message}`;
  return errorMessage(e);
}

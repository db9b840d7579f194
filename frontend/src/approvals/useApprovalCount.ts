import { useQuery } from '@tanstack/react-query';
import { approvalsApi } from '../api/approvals';
import { keys } from '../api/hooks';
import { useSession } from '../auth/session';

/** How often the badge asks when no event told it sooner (runs pause and get answered elsewhere). */
export const COUNT_INTERVAL_MS = 20_000;

/** The active group's pending approvals, for the navigation badge. */
export function useApprovalCount(): number {
  const signedIn = useSession((s) => s.status === 'signedIn' && s.groupId !== null);
  const count = useQuery({
    queryKey: keys.approvalCount,
    queryFn: approvalsApi.count,
    enabled: signedIn,
    refetchInterval: COUNT_INTERVAL_MS,
  });
  return count.data?.pending ?? 0;
}

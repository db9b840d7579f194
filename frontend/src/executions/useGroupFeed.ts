import { useQueryClient, type InfiniteData } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { api } from '../api/client';
import { keys } from '../api/hooks';
import type { Execution, ExecutionStatus, Page } from '../api/types';
import { useSession } from '../auth/session';
import { RealtimeSocket } from '../run/socket';

type ExecutionPages = InfiniteData<Page<Execution>, string | null>;

/** Patch cached execution lists with a status change; false when the execution is not cached. */
export function applyStatus(data: ExecutionPages | undefined, id: string, status: ExecutionStatus): ExecutionPages | undefined {
  if (!data) return data;
  let found = false;
  const pages = data.pages.map((page) => ({
    ...page,
    items: page.items.map((e) => {
      if (e.id !== id) return e;
      found = true;
      return { ...e, status };
    }),
  }));
  return found ? { ...data, pages } : data;
}

/**
 * Status changes of the active group's executions over the WebSocket group feed. Returns whether
 * the feed is live; when it is not, callers poll.
 */
export function useGroupFeed(onStatus?: (id: string, status: ExecutionStatus) => void): boolean {
  const qc = useQueryClient();
  const groupId = useSession((s) => s.groupId);
  const [live, setLive] = useState(false);

  useEffect(() => {
    if (!groupId) return undefined;
    const socket = new RealtimeSocket({
      getToken: () => api.freshToken(),
      groupId,
      onStateChange: (state) => setLive(state === 'open'),
      onMessage: (m) => {
        if (m.type !== 'execution.status') return;
        let known = false;
        for (const [key, data] of qc.getQueriesData<ExecutionPages>({ queryKey: keys.executions })) {
          const next = applyStatus(data, m.execution_id, m.status);
          if (next !== data) {
            known = true;
            qc.setQueryData(key, next);
          }
        }
        if (!known) void qc.invalidateQueries({ queryKey: keys.executions });
        // A run that starts or stops waiting adds or answers a request: the inbox and its badge.
        void qc.invalidateQueries({ queryKey: keys.approvals });
        onStatus?.(m.execution_id, m.status);
      },
    });
    socket.start();
    return () => socket.stop();
    // onStatus is read when a message arrives; re-subscribing on every render would churn the socket.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [groupId, qc]);

  return live;
}

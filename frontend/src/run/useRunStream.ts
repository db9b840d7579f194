import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { api } from '../api/client';
import { executionsApi } from '../api/endpoints';
import { keys } from '../api/hooks';
import type { ExecutionEvent } from '../api/types';
import { useSession } from '../auth/session';
import { applyEvents, initialRunState, isTerminal, type RunState } from './events';
import { ExecutionStream, type StreamMode } from './stream';

const raf: (cb: () => void) => unknown =
  typeof requestAnimationFrame === 'function' ? (cb) => requestAnimationFrame(cb) : (cb) => setTimeout(cb, 16);

/**
 * Follow one execution. Events are folded into a ref immediately (so a reconnect resumes from
 * the true last seq) and rendered at most once per frame (`llm.chunk` can be very chatty).
 */
export function useRunStream(
  executionId: string | null,
  nodeKeys: string[],
): { state: RunState | null; mode: StreamMode; error: string | null } {
  const groupId = useSession((s) => s.groupId);
  const qc = useQueryClient();
  const [state, setState] = useState<RunState | null>(null);
  const [mode, setMode] = useState<StreamMode>('closed');
  const [error, setError] = useState<string | null>(null);
  const keysRef = useRef(nodeKeys);
  keysRef.current = nodeKeys;

  useEffect(() => {
    if (!executionId) {
      setState(null);
      return undefined;
    }
    setError(null);
    let current = initialRunState(executionId, keysRef.current);
    let scheduled = false;
    setState(current);
    const flush = () => {
      scheduled = false;
      setState(current);
    };
    const stream = new ExecutionStream({
      executionId,
      groupId,
      getLastSeq: () => current.lastSeq,
      isDone: () => isTerminal(current.status),
      getToken: () => api.freshToken(),
      poll: (after, wait, signal) => executionsApi.events(executionId, after, wait, signal),
      onEvents: (events: ExecutionEvent[]) => {
        current = applyEvents(current, events);
        // A pause or an answer changes the group's inbox: refresh it (and the badge) now.
        if (events.some((e) => e.type === 'execution.waiting' || e.type === 'approval.answered'))
          void qc.invalidateQueries({ queryKey: keys.approvals });
        if (!scheduled) {
          scheduled = true;
          raf(flush);
        }
      },
      onMode: setMode,
      onError: setError,
    });
    stream.start();
    return () => stream.stop();
  }, [executionId, groupId, qc]);

  return { state, mode, error };
}

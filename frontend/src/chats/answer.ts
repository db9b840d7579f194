/**
 * What a chat shows of a turn's run, read from the run reducer's state (`run/events.ts`): the
 * answer as it streams in, and the turn's tool calls.
 */
import { applyEvents, initialRunState, type LogLine, type RunState } from '../run/events';
import type { ExecutionEvent } from '../api/types';

/** The text the model is writing now: the latest streamed LLM answer of the run. */
export function streamedAnswer(state: RunState | null): string {
  if (!state) return '';
  for (let i = state.log.length - 1; i >= 0; i -= 1) {
    if (state.log[i].type === 'llm.chunk') return state.log[i].text;
  }
  return '';
}

/** The tool lines of a run's log: each call, what it returned or how it failed. */
export function toolCalls(log: LogLine[]): LogLine[] {
  return log.filter((line) => line.kind === 'tool');
}

/** The tool calls of a finished run, from its stored events. */
export function toolCallsOf(executionId: string, events: ExecutionEvent[]): LogLine[] {
  return toolCalls(applyEvents(initialRunState(executionId), events).log);
}

import { describe, expect, it } from 'vitest';
import type { ExecutionEvent } from '../api/types';
import { applyEvents, initialRunState } from '../run/events';
import { streamedAnswer, toolCallsOf } from './answer';

const ev = (seq: number, type: ExecutionEvent['type'], data: Record<string, unknown> = {}): ExecutionEvent => ({
  execution_id: 'run-1',
  seq,
  type,
  ts: '2026-12-04T02:00:00Z',
  task_key: 'reply',
  agent_key: 'assistant',
  data,
});

describe('a chat turn read from its run', () => {
  it('shows the latest answer as its tokens stream in', () => {
    const events = [
      ev(1, 'execution.started'),
      ev(2, 'llm.chunk', { text: 'Tides ' }),
      ev(3, 'llm.chunk', { text: 'follow the moon.' }),
    ];
    expect(streamedAnswer(applyEvents(initialRunState('run-1'), events))).toBe('Tides follow the moon.');
    expect(streamedAnswer(null)).toBe('');
  });

  it('lists the tool calls of the turn, and nothing else', () => {
    const events = [
      ev(1, 'execution.started'),
      ev(2, 'tool.started', { tool: 'web_search', args: { q: 'tides' } }),
      ev(3, 'tool.completed', { tool: 'web_search', output: 'Moon', duration_ms: 12 }),
      ev(4, 'execution.succeeded', { result: 'Done' }),
    ];
    const calls = toolCallsOf('run-1', events);
    expect(calls.map((c) => c.type)).toEqual(['tool.started', 'tool.completed']);
    expect(calls[1].text).toContain('web_search returned');
  });
});

import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { renderWithProviders } from '../../test/render';
import type { ChatMessage, ExecutionEvent } from '../api/types';
import { applyEvents, initialRunState } from '../run/events';
import ChatMessageView from './ChatMessageView';

const message = (over: Partial<ChatMessage>): ChatMessage => ({
  id: 'm1',
  position: 1,
  role: 'assistant',
  content: '',
  status: 'done',
  error: null,
  execution_id: 'run-1',
  omitted: 0,
  created_at: '2026-12-04T02:00:00Z',
  ...over,
});

const ev = (seq: number, type: ExecutionEvent['type'], data: Record<string, unknown>): ExecutionEvent => ({
  execution_id: 'run-1',
  seq,
  type,
  ts: '2026-12-04T02:00:00Z',
  task_key: 'reply',
  agent_key: 'assistant',
  data,
});

describe('ChatMessageView', () => {
  it('shows the answer as it streams, with the live tool calls and a link to the run', async () => {
    const live = applyEvents(initialRunState('run-1'), [
      ev(1, 'tool.started', { tool: 'web_search', args: { q: 'tides' } }),
      ev(2, 'llm.chunk', { text: 'Tides follow ' }),
      ev(3, 'llm.chunk', { text: 'the **moon**' }),
    ]);
    renderWithProviders(<ChatMessageView message={message({ status: 'pending' })} live={live} />);
    expect(screen.getByText('moon').tagName).toBe('STRONG');
    expect(screen.getByLabelText('Answer in progress')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: /Open run/ })).toHaveAttribute('href', '/executions/run-1');
    await userEvent.click(screen.getByRole('button', { name: 'Tool calls (1)' }));
    expect(screen.getByTestId('chat-tool-calls')).toHaveTextContent('web_search');
  });

  it("shows a failed turn's error and what the history left out", () => {
    renderWithProviders(
      <ChatMessageView message={message({ status: 'failed', error: 'No API key for provider openai', omitted: 3 })} live={null} />,
    );
    expect(screen.getByRole('alert')).toHaveTextContent('No API key for provider openai');
    expect(screen.getByText(/3 earlier messages were left out/)).toBeInTheDocument();
  });
});

/**
 * Smoke test of the whole app against the in-memory API: the main journey from the crew list to
 * a finished run, with no console errors on the way.
 */
import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { EventType, ExecutionEvent } from '../src/api/types';
import { MockApi, MockSocket } from './mockApi';

const mock = new MockApi();
const consoleError = vi.spyOn(console, 'error');

let seq = 0;
const ev = (type: EventType, extra: Partial<ExecutionEvent> = {}): ExecutionEvent => ({
  execution_id: 'exec-1',
  seq: ++seq,
  type,
  ts: new Date(Date.UTC(2025, 0, 1, 0, 0, seq)).toISOString(),
  task_key: null,
  agent_key: null,
  data: {},
  ...extra,
});

beforeAll(() => {
  mock.install();
  window.history.pushState({}, '', '/crews');
});
afterAll(() => vi.unstubAllGlobals());

describe('Kasal app', () => {
  it('lists crews, edits one, saves, runs it and follows the run live', async () => {
    const { default: App } = await import('../src/App');
    const { router } = await import('../src/routes');
    render(<App />);

    // Crew list
    const link = await screen.findByRole('link', { name: 'Research crew' }, { timeout: 5000 });
    await userEvent.click(link);

    // Editor
    expect(await screen.findByTestId('node-agent-researcher', {}, { timeout: 5000 })).toBeInTheDocument();
    expect(screen.getByTestId('node-task-write').querySelector('[data-testid="node-problems"]')).not.toBeNull();
    await userEvent.click(screen.getByTestId('palette-new-agent'));
    expect(await screen.findByTestId('node-agent-agent-1')).toBeInTheDocument();
    expect(screen.getByTestId('dirty-indicator')).toBeInTheDocument();
    // The new agent is selected: its form is in the side panel.
    const role = screen.getByRole('textbox', { name: /role/i });
    await userEvent.clear(role);
    await userEvent.type(role, 'Writer');
    await userEvent.tab();
    expect(screen.getByTestId('node-agent-agent-1')).toHaveTextContent('Writer');

    // Undo / redo from the keyboard
    await userEvent.click(screen.getByTestId('canvas'));
    await userEvent.keyboard('{Control>}z{/Control}');
    expect(screen.getByTestId('node-agent-agent-1')).toHaveTextContent('New agent');
    await userEvent.keyboard('{Control>}{Shift>}z{/Shift}{/Control}');
    expect(screen.getByTestId('node-agent-agent-1')).toHaveTextContent('Writer');

    // Save
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(screen.queryByTestId('dirty-indicator')).toBeNull());
    const put = mock.requests.find((r) => r.method === 'PUT');
    expect(put?.body).toMatchObject({ version: 3, agents: [{ key: 'researcher' }, { key: 'agent-1', role: 'Writer' }] });
    expect(screen.getByLabelText('Version 4')).toBeInTheDocument();

    // A stale save gets the conflict dialog
    const crew = mock.crews.get('crew-1')!;
    mock.crews.set('crew-1', { ...crew, version: 9, name: 'Renamed elsewhere' });
    await userEvent.click(screen.getByTestId('palette-new-task'));
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    const dialog = await screen.findByRole('dialog', { name: 'This crew was changed elsewhere' });
    await userEvent.click(within(dialog).getByRole('button', { name: 'Reload latest version' }));
    await waitFor(() => expect(screen.getByTestId('crew-name')).toHaveTextContent('Renamed elsewhere'));
    expect(screen.queryByTestId('dirty-indicator')).toBeNull();
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());

    // Run: inputs dialog, then live node states from the WebSocket
    await userEvent.click(screen.getByRole('button', { name: 'Run' }));
    const runDialog = await screen.findByRole('dialog', { name: 'Run crew' });
    await userEvent.click(within(runDialog).getByRole('button', { name: 'Start run' }));
    expect(within(runDialog).getByText('A value for {topic} is required')).toBeInTheDocument();
    await userEvent.type(within(runDialog).getByRole('textbox', { name: 'topic' }), 'bees');
    await userEvent.type(within(runDialog).getByRole('textbox', { name: 'audience' }), 'kids');
    await userEvent.click(within(runDialog).getByRole('button', { name: 'Start run' }));
    await waitFor(() => expect(mock.requests.some((r) => r.method === 'POST' && r.path === '/executions')).toBe(true));
    expect(mock.requests.find((r) => r.path === '/executions')?.body).toEqual({ crew_id: 'crew-1', inputs: { topic: 'bees', audience: 'kids' } });
    await waitFor(() => expect(MockSocket.subscriberOf('exec-1')).toBeDefined());
    expect(screen.getByTestId('node-task-research')).toHaveAttribute('data-state', 'queued');

    await act(async () => {
      MockSocket.pushEvent(ev('execution.started'));
      MockSocket.pushEvent(ev('task.started', { task_key: 'research', agent_key: 'researcher' }));
      MockSocket.pushEvent(ev('llm.chunk', { task_key: 'research', agent_key: 'researcher', data: { text: 'Bees are ' } }));
      MockSocket.pushEvent(ev('llm.chunk', { task_key: 'research', agent_key: 'researcher', data: { text: 'great.' } }));
      await new Promise((r) => setTimeout(r, 50));
    });
    expect(screen.getByTestId('node-task-research')).toHaveAttribute('data-state', 'running');
    expect(screen.getByTestId('node-agent-researcher')).toHaveAttribute('data-state', 'running');
    expect(screen.getByTestId('event-log')).toHaveTextContent('Bees are great.');

    await act(async () => {
      MockSocket.pushEvent(ev('llm.completed', { task_key: 'research', agent_key: 'researcher', data: { model: 'demo', prompt_tokens: 40, completion_tokens: 2 } }));
      MockSocket.pushEvent(ev('task.completed', { task_key: 'research', agent_key: 'researcher', data: { output: 'Bees are great.' } }));
      MockSocket.pushEvent(ev('execution.succeeded', { data: { result: '## Bees\n\nThey are **great**.' } }));
      await new Promise((r) => setTimeout(r, 50));
    });
    expect(screen.getByTestId('node-task-research')).toHaveAttribute('data-state', 'done');
    expect(screen.getByTestId('run-tokens')).toHaveTextContent('42');
    const result = await screen.findByTestId('run-result');
    expect(within(result).getByRole('heading', { name: 'Bees' })).toBeInTheDocument();
    expect(within(result).getByTestId('task-output-research')).toHaveTextContent('Bees are great.');

    // Unsaved changes guard on route change
    await userEvent.click(await screen.findByRole('button', { name: 'Close run panel' }));
    await userEvent.click(screen.getByTestId('palette-new-task'));
    await act(async () => {
      void router.navigate('/executions');
      await new Promise((r) => setTimeout(r, 20));
    });
    const leave = await screen.findByRole('dialog', { name: 'Leave without saving?' });
    await userEvent.click(within(leave).getByRole('button', { name: 'Stay' }));
    expect(router.state.location.pathname).toBe('/crews/crew-1');
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    await act(async () => {
      void router.navigate('/executions');
      await new Promise((r) => setTimeout(r, 20));
    });
    await userEvent.click(within(await screen.findByRole('dialog', { name: 'Leave without saving?' })).getByRole('button', { name: 'Leave' }));

    // Executions list and detail
    expect(await screen.findByRole('link', { name: 'Renamed elsewhere' }, { timeout: 5000 })).toBeInTheDocument();
    await act(() => router.navigate('/executions/exec-1'));
    expect(await screen.findByTestId('trace-timeline', {}, { timeout: 5000 })).toHaveTextContent('research');

    // Settings
    await act(() => router.navigate('/settings/models'));
    const row = await screen.findByTestId('model-row-gpt-4o', {}, { timeout: 5000 });
    expect(row).toHaveTextContent('no API key');
    expect(screen.getByTestId('model-row-demo')).toHaveTextContent('Demo (offline)');
    await act(() => router.navigate('/settings/api-keys'));
    expect(await screen.findByRole('button', { name: 'Add API key' })).toBeInTheDocument();
    await act(() => router.navigate('/settings/groups'));
    expect(await screen.findByRole('table', { name: 'Members' })).toBeInTheDocument();

    expect(consoleError).not.toHaveBeenCalled();
  }, 60_000);
});

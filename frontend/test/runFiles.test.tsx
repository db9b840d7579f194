/**
 * First-run journeys around a run: an execution row opens its run, the run lists its files with
 * downloads, and the Run dialog asks for the inputs the server derives (its one placeholder
 * rule), also for a draft with unsaved changes.
 */
import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Execution } from '../src/api/types';
import { MockApi } from './mockApi';

const mock = new MockApi();
const finished: Execution = {
  id: 'exec-done',
  crew_id: 'crew-1',
  crew_name: 'Research crew',
  crew_version: 3,
  status: 'succeeded',
  inputs: { topic: 'bees' },
  result: 'Bees.',
  task_outputs: {},
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  cost: null,
  error: null,
  created_at: '2025-01-01T00:00:00Z',
  started_at: '2025-01-01T00:00:01Z',
  finished_at: '2025-01-01T00:00:02Z',
};
const createObjectURL = vi.fn((_: Blob) => 'blob:report');

beforeAll(() => {
  mock.executions.set(finished.id, finished);
  mock.files.set(finished.id, [
    { path: 'output/report.md', size: 8, media_type: 'text/markdown', modified_at: '2025-01-01T00:00:02Z', text: '# Report' },
  ]);
  mock.install();
  vi.stubGlobal('URL', Object.assign(URL, { createObjectURL, revokeObjectURL: vi.fn() }));
  vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => undefined); // jsdom cannot save files
  window.history.pushState({}, '', '/executions');
});
afterAll(() => vi.unstubAllGlobals());

describe('runs', () => {
  it('opens a run from its row, lists its files and downloads one', async () => {
    const { default: App } = await import('../src/App');
    const { router } = await import('../src/routes');
    render(<App />);

    const row = await screen.findByTestId('execution-row-exec-done', {}, { timeout: 5000 });
    await userEvent.click(within(row).getAllByRole('cell')[2]); // the "Created" cell, not the link
    await waitFor(() => expect(router.state.location.pathname).toBe('/executions/exec-done'));

    await userEvent.click(await screen.findByRole('tab', { name: 'Files' }, { timeout: 5000 }));
    const file = await screen.findByTestId('run-file-output/report.md');
    expect(file).toHaveTextContent('8 B');
    await userEvent.click(within(file).getByRole('button', { name: 'Download output/report.md' }));
    await waitFor(() => expect(createObjectURL).toHaveBeenCalledTimes(1));
    expect(mock.requests.some((r) => r.method === 'GET' && r.path === '/executions/exec-done/files/output/report.md')).toBe(true);
    expect(await createObjectURL.mock.calls[0][0].text()).toBe('# Report');
  });

  it("asks the Run dialog for the server's inputs of an unsaved draft", async () => {
    const { default: App } = await import('../src/App');
    mock.validateInputs = ['topic', 'audience', 'region']; // e.g. from an output file "{region}/report.md"
    const { router } = await import('../src/routes');
    render(<App />);
    await act(() => router.navigate('/crews/crew-1'));
    await screen.findByTestId('node-agent-researcher', {}, { timeout: 5000 });
    await userEvent.click(screen.getByTestId('palette-new-task'));

    await userEvent.click(screen.getByRole('button', { name: 'Run' }));
    const dialog = await screen.findByRole('dialog', { name: 'Run crew' });
    for (const name of mock.validateInputs) expect(within(dialog).getByRole('textbox', { name })).toBeInTheDocument();
    expect(within(dialog).getAllByRole('textbox')).toHaveLength(3);
    const asked = mock.requests.filter((r) => r.method === 'POST' && r.path === '/crews/crew-1/validate');
    expect(asked).toHaveLength(1);
    expect((asked[0].body as { tasks: unknown[] }).tasks).toHaveLength(3); // the draft, new task included
  });
});

/** The flow editor against the in-memory API: steps on the canvas, problems on them, save, 409, run. */
import { ThemeProvider } from '@mui/material/styles';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { createMemoryRouter, RouterProvider } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MockApi } from '../../test/mockApi';
import type { FlowRead } from '../api/flows';
import { useSession } from '../auth/session';
import { buildTheme } from '../theme';
import FlowEditorPage from './FlowEditorPage';

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

const flow = (): FlowRead => ({
  id: 'flow-1',
  name: 'Triage',
  description: '',
  version: 3,
  created_at: '2026-12-04T10:00:00Z',
  updated_at: '2026-12-04T10:00:00Z',
  inputs: [{ name: 'topic', default: 'tides' }],
  steps: [
    { key: 'research', kind: 'crew', name: 'Research', crew_id: 'crew-1', crew_version: null, inputs: { topic: '${inputs.topic}' } },
    { key: 'review', kind: 'approval', name: 'Editor review', review: '${steps.research.output}', approval: { question: 'Publish this?', answers: ['approve', 'reject'], timeout_s: null, on_timeout: 'reject', role: 'operator' } },
  ],
  edges: [{ source: 'research', target: 'review', default: false }],
  layout: { nodes: { research: { x: 0, y: 0 }, review: { x: 320, y: 0 } } },
  problems: [{ pointer: '/steps/1/approval', code: 'approval_without_edge', message: 'Nothing follows an approve', severity: 'warning' }],
});

let api: MockApi;
beforeEach(() => {
  api = new MockApi();
  api.install();
  api.flows.set('flow-1', flow());
  const user = { id: 'u1', email: 'ada@example.org', name: 'Ada', is_admin: false, is_active: true, personal_group_id: 'g1', created_at: '2025-01-01T00:00:00Z' };
  useSession.setState({ status: 'signedIn', user, groupId: 'g1' });
});
afterEach(() => vi.unstubAllGlobals());

function renderEditor() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const router = createMemoryRouter([{ path: '/flows/:flowId', element: <FlowEditorPage /> }, { path: '*', element: <p>elsewhere</p> }], {
    initialEntries: ['/flows/flow-1'],
  });
  return render(
    <QueryClientProvider client={client}>
      <ThemeProvider theme={buildTheme('light')}>
        <RouterProvider router={router} />
      </ThemeProvider>
    </QueryClientProvider>,
  );
}

const puts = () => api.requests.filter((r) => r.method === 'PUT' && r.path === '/flows/flow-1');

describe('FlowEditorPage', () => {
  it("shows the steps with the server's problems on them, adds a router and saves from the version it started at", async () => {
    renderEditor();
    const review = await screen.findByTestId('node-step-review', {}, { timeout: 5000 });
    expect(within(review).getByTestId('node-problems')).toHaveAttribute('aria-label', expect.stringContaining('Nothing follows an approve'));
    expect(await screen.findByText('Research crew · latest')).toBeInTheDocument();

    await userEvent.click(screen.getByRole('button', { name: 'Router' }));
    expect(await screen.findByTestId('node-step-router_1')).toBeInTheDocument();
    expect(screen.getByTestId('dirty-indicator')).toBeInTheDocument();
    // A router without a default edge is flagged while editing.
    expect(within(screen.getByTestId('node-step-router_1')).getByTestId('node-problems')).toHaveAttribute('aria-label', expect.stringContaining('default edge'));

    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(puts()).toHaveLength(1));
    const body = puts()[0].body as FlowRead;
    expect(body.version).toBe(3);
    expect(body.steps.map((s) => s.key)).toEqual(['research', 'review', 'router_1']);
    expect(await screen.findByLabelText('Version 4')).toBeInTheDocument();
    expect(screen.queryByTestId('dirty-indicator')).toBeNull();
  });

  it('offers to reload when someone saved a newer version (409)', async () => {
    renderEditor();
    await screen.findByTestId('node-step-review', {}, { timeout: 5000 });
    api.flows.set('flow-1', { ...flow(), version: 5, name: 'Triage (theirs)' });
    await userEvent.click(screen.getByRole('button', { name: 'Approval' }));
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByText('This flow was changed elsewhere')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Reload latest version' }));
    expect(await screen.findByText('Triage (theirs)')).toBeInTheDocument();
    expect(screen.queryByTestId('node-step-approval_1')).toBeNull();
  });

  it('edits an approval step in the side panel', async () => {
    renderEditor();
    fireEvent.click(await screen.findByTestId('node-step-review', {}, { timeout: 5000 }));
    const question = await screen.findByLabelText('Question');
    fireEvent.change(question, { target: { value: 'Ship it?' } });
    fireEvent.blur(question);
    expect(within(screen.getByTestId('node-step-review')).getByText('Ship it?')).toBeInTheDocument();
    expect(screen.getByRole('checkbox', { name: 'reply' })).not.toBeChecked();
  });

  it("runs the flow with its inputs' defaults and follows the run", async () => {
    api.overrides.set('POST /executions', json(201, { id: 'exec-9', flow_id: 'flow-1', crew_id: null, crew_name: 'Triage', crew_version: 3, status: 'queued', inputs: { topic: 'tides' } }));
    renderEditor();
    await screen.findByTestId('node-step-review', {}, { timeout: 5000 });
    await userEvent.click(screen.getByRole('button', { name: 'Run' }));
    const dialog = screen.getByRole('dialog', { name: 'Run flow' });
    expect(within(dialog).getByLabelText(/topic/)).toHaveValue('tides');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Start run' }));
    await waitFor(() => expect(api.requests.find((r) => r.method === 'POST' && r.path === '/executions')?.body).toEqual({ flow_id: 'flow-1', inputs: { topic: 'tides' } }));
    expect(await screen.findByTestId('run-panel')).toBeInTheDocument();
  });
});

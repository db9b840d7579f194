/** Settings › Tracing: switch it on with an experiment, see the latest exports, and what a server without MLflow says. */
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MockApi } from '../../test/mockApi';
import { renderWithProviders } from '../../test/render';
import type { Tracing } from '../api/types';
import { useSession } from '../auth/session';
import TracingTab from './TracingTab';

const json = (body: unknown) => new Response(JSON.stringify(body), { status: 200, headers: { 'Content-Type': 'application/json' } });
const off: Tracing = { available: true, destination: 'https://mlflow.example.com', enabled: false, experiment_name: null, recent: [] };
const exports: Tracing['recent'] = [
  { execution_id: 'e1000000-0000', status: 'exported', attempts: 1, experiment_name: '/Shared/runs', trace_id: 'tr-abc', error: null, next_attempt_at: null, created_at: '2025-01-01T00:00:00Z', exported_at: '2025-01-01T00:00:05Z' },
  { execution_id: 'e2000000-0000', status: 'failed', attempts: 2, experiment_name: '/Shared/runs', trace_id: null, error: 'MlflowException: 500', next_attempt_at: null, created_at: '2025-01-01T00:00:00Z', exported_at: null },
];

let api: MockApi;
beforeEach(() => {
  api = new MockApi();
  api.install();
  const user = { id: 'u1', email: 'ada@example.org', name: 'Ada', is_admin: false, is_active: true, personal_group_id: 'g1', created_at: '2025-01-01T00:00:00Z' };
  useSession.setState({ status: 'signedIn', user, groupId: 'g1' });
});
afterEach(() => vi.unstubAllGlobals());

describe('Settings › Tracing', () => {
  it('turns tracing on for an experiment and lists the exports with their trace or reason', async () => {
    api.overrides.set('GET /tracing', json(off));
    api.overrides.set('PUT /tracing', json({ ...off, enabled: true, experiment_name: '/Shared/runs', recent: exports }));
    renderWithProviders(<TracingTab />);
    expect(await screen.findByText(/Traces go to https:\/\/mlflow.example.com/)).toBeInTheDocument();
    const name = screen.getByRole('textbox', { name: 'MLflow experiment' });
    await userEvent.clear(name);
    await userEvent.type(name, '/Shared/runs');
    await userEvent.click(screen.getByRole('switch', { name: "Trace this group's runs" }));
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByText('tr-abc')).toBeInTheDocument();
    expect(screen.getByText('MlflowException: 500 (given up)')).toBeInTheDocument();
    const put = api.requests.find((r) => r.method === 'PUT' && r.path === '/tracing');
    expect(put?.body).toEqual({ enabled: true, experiment_name: '/Shared/runs' });
    await waitFor(() => expect(screen.getByRole('switch', { name: "Trace this group's runs" })).toBeChecked());
  });

  it('says what the operator must set when the server has no tracking server', async () => {
    api.overrides.set('GET /tracing', json({ ...off, available: false, destination: null }));
    renderWithProviders(<TracingTab />);
    expect(await screen.findByText(/KASAL_MLFLOW_TRACKING_URI/)).toBeInTheDocument();
    expect(screen.getByRole('switch', { name: "Trace this group's runs" })).toBeDisabled();
    expect(screen.getByRole('button', { name: 'Save' })).toBeDisabled();
  });
});

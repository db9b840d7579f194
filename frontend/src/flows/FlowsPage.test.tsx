/** The flows list against the in-memory API, which answers summaries as the server does. */
import { screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MockApi } from '../../test/mockApi';
import { renderWithProviders } from '../../test/render';
import { useSession } from '../auth/session';
import FlowsPage from './FlowsPage';

let api: MockApi;
beforeEach(() => {
  api = new MockApi();
  api.install();
  const user = { id: 'u1', email: 'ada@example.org', name: 'Ada', is_admin: false, is_active: true, personal_group_id: 'g1', created_at: '2025-01-01T00:00:00Z' };
  useSession.setState({ status: 'signedIn', user, groupId: 'g1' });
});
afterEach(() => vi.unstubAllGlobals());

describe('FlowsPage', () => {
  it('lists each flow with its number of steps and its version', async () => {
    api.flows.set('flow-1', {
      id: 'flow-1',
      name: 'Triage',
      description: 'Research, then review',
      version: 2,
      created_at: '2026-12-04T10:00:00Z',
      updated_at: '2026-12-04T10:00:00Z',
      inputs: [],
      steps: [
        { key: 'research', kind: 'crew', name: 'Research', crew_id: 'crew-1', crew_version: null, inputs: {} },
        { key: 'route', kind: 'router', name: 'Good enough?' },
      ],
      edges: [],
      layout: { nodes: {} },
      problems: [],
    });
    renderWithProviders(<FlowsPage />);
    const row = await screen.findByTestId('flow-row-flow-1');
    expect(within(row).getByRole('link', { name: 'Triage' })).toBeInTheDocument();
    const cells = within(row).getAllByRole('cell').map((c) => c.textContent);
    expect(cells.slice(1, 3)).toEqual(['2', 'v2']);
  });
});

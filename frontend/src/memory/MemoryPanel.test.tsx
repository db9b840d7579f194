/** The Memory panel against the in-memory API: list, search with scores, forget, reset. */
import { fireEvent, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MockApi } from '../../test/mockApi';
import { renderWithProviders } from '../../test/render';
import type { MemoryList } from '../api/types';
import { useSession } from '../auth/session';
import MemoryPanel from './MemoryPanel';

const json = (body: unknown) => new Response(JSON.stringify(body), { status: 200, headers: { 'Content-Type': 'application/json' } });
const item = (id: string, text: string, score: number | null = null) => ({
  id,
  text,
  path: '/',
  categories: [],
  importance: 0.5,
  created_at: '2026-12-04T02:00:00Z',
  embedder: 'wordllama-l2-256',
  score,
});
const listed: MemoryList = { scope: 'crew', total: 2, items: [item('m1', 'Reports go out in French.'), item('m2', 'Tides rise 13 m.')] };

let api: MockApi;
beforeEach(() => {
  api = new MockApi();
  api.install();
  const user = { id: 'u1', email: 'ada@example.org', name: 'Ada', is_admin: false, is_active: true, personal_group_id: 'g1', created_at: '2025-01-01T00:00:00Z' };
  useSession.setState({ status: 'signedIn', user, groupId: 'g1' });
});
afterEach(() => vi.unstubAllGlobals());

describe('MemoryPanel', () => {
  it('lists the newest memories, and searches with scores', async () => {
    api.overrides.set('GET /memory', json(listed));
    renderWithProviders(<MemoryPanel crewId="crew-1" scope="crew" readOnly={false} />);
    expect(await screen.findByText('Reports go out in French.')).toBeInTheDocument();
    expect(screen.getByText(/this crew's: 2/)).toBeInTheDocument();

    api.overrides.set('GET /memory', json({ scope: 'crew', total: 2, items: [item('m2', 'Tides rise 13 m.', 0.8123)] }));
    fireEvent.change(screen.getByLabelText('Search memory'), { target: { value: 'tide height' } });
    fireEvent.click(screen.getByRole('button', { name: 'Search' }));
    expect(await screen.findByText(/score 0\.81/)).toBeInTheDocument();
  });

  it('forgets one memory, and resets the scope after confirming', async () => {
    api.overrides.set('GET /memory', json(listed));
    renderWithProviders(<MemoryPanel crewId="crew-1" scope="crew" readOnly={false} />);
    expect(await screen.findByText('Tides rise 13 m.')).toBeInTheDocument();
    api.overrides.set('DELETE /memory/m2', new Response(null, { status: 204 }));
    await userEvent.click(screen.getByRole('button', { name: /Forget "Tides rise 13 m\."/ }));
    await waitFor(() => expect(api.requests.some((r) => r.method === 'DELETE' && r.path === '/memory/m2')).toBe(true));

    api.overrides.set('GET /memory', json(listed));
    api.overrides.set('POST /memory/reset', json({ scope: 'crew', deleted: 2 }));
    await userEvent.click(screen.getByRole('button', { name: 'Reset memory' }));
    await userEvent.click(await screen.findByRole('button', { name: 'Reset' }));
    await waitFor(() => {
      const reset = api.requests.find((r) => r.method === 'POST' && r.path === '/memory/reset');
      expect(reset?.body).toEqual({ scope: 'crew', crew_id: 'crew-1' });
    });
  });

  it('is read-only for viewers', async () => {
    api.overrides.set('GET /memory', json(listed));
    renderWithProviders(<MemoryPanel crewId="crew-1" scope="crew" readOnly />);
    expect(await screen.findByText('Tides rise 13 m.')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /Forget/ })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Reset memory' })).toBeNull();
  });
});

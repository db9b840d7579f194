import { act, cleanup, render, screen } from '@testing-library/react';
import { useEffect, useState } from 'react';
import { createMemoryRouter, RouterProvider } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { api } from '../api/client';
import RequireAuth from './RequireAuth';
import { useSession } from './session';
import SignInPage from './SignInPage';

const me = { id: 'u1', email: 'ada@example.org', name: 'Ada', is_admin: false, is_active: true, personal_group_id: 'g-personal', created_at: '' };
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

function Protected() {
  const [text, setText] = useState('loading');
  useEffect(() => {
    api.get<{ items: unknown[] }>('/crews').then(
      (r) => setText(`crews: ${r.items.length}`),
      () => setText('failed'),
    );
  }, []);
  return <div>{text}</div>;
}

/** Restore the session and let the follow-up requests and redirects finish inside act(). */
async function restoreAndSettle() {
  await act(async () => {
    await useSession.getState().restore();
    await new Promise((r) => setTimeout(r, 30));
  });
}

function renderApp(path: string) {
  const router = createMemoryRouter(
    [
      { path: '/sign-in', element: <SignInPage /> },
      { path: '/crews', element: <RequireAuth><Protected /></RequireAuth> },
    ],
    { initialEntries: [path] },
  );
  render(<RouterProvider router={router} />);
  return router;
}

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  useSession.setState({ status: 'loading', user: null, groupId: null });
  api.setTokens(null);
});

describe('session', () => {
  it('restores the session from the refresh cookie and uses the remembered group', async () => {
    localStorage.setItem('kasal.group.u1', 'g-team');
    const fetchStub = vi.fn(async (url: string) => {
      if (url === '/api/v1/auth/refresh') return json(200, { access_token: 'a1', token_type: 'bearer', expires_in: 900 });
      if (url === '/api/v1/users/me') return json(200, me);
      return json(200, { items: [1, 2], next_cursor: null });
    });
    vi.stubGlobal('fetch', fetchStub);
    renderApp('/crews');
    await restoreAndSettle();
    expect(await screen.findByText('crews: 2')).toBeInTheDocument();
    expect(useSession.getState().groupId).toBe('g-team');
    const crewsCall = fetchStub.mock.calls.find((c) => c[0] === '/api/v1/crews') as unknown as [string, RequestInit];
    expect(new Headers(crewsCall[1].headers).get('X-Kasal-Group')).toBe('g-team');
  });

  it('shows sign-in when there is no session', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => json(401, { error: { code: 'unauthorized', message: 'no' } })));
    const router = renderApp('/crews');
    await restoreAndSettle();
    expect(await screen.findByRole('heading', { name: 'Sign in to Kasal' })).toBeInTheDocument();
    expect(router.state.location.search).toBe('?next=%2Fcrews');
  });

  it('goes to sign-in when a 401 cannot be fixed by a refresh', async () => {
    let refreshes = 0;
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string) => {
        if (url === '/api/v1/auth/refresh') {
          refreshes += 1;
          return refreshes === 1 ? json(200, { access_token: 'a1', token_type: 'bearer', expires_in: 900 }) : json(401, { error: { code: 'invalid_refresh', message: 'revoked' } });
        }
        if (url === '/api/v1/users/me') return json(200, me);
        return json(401, { error: { code: 'unauthorized', message: 'revoked' } });
      }),
    );
    const router = renderApp('/crews');
    await restoreAndSettle();
    expect(await screen.findByRole('heading', { name: 'Sign in to Kasal' })).toBeInTheDocument();
    expect(useSession.getState().status).toBe('signedOut');
    expect(router.state.location.pathname).toBe('/sign-in');
    expect(refreshes).toBe(2);
  });
});

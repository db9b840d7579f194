import { describe, expect, it, vi } from 'vitest';
import { ApiClient, ApiError } from './client';

type Handler = (url: string, init: RequestInit) => Response | Promise<Response>;

function json(status: number, body: unknown): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' },
  });
}

const tokens = (access: string) => ({ access_token: access, refresh_token: 'r', token_type: 'bearer', expires_in: 900 });

/** A fetch stub at the network boundary: routes by method + path, records every call. */
function stubFetch(handler: Handler) {
  const calls: { url: string; method: string; auth: string | null; group: string | null; body?: string }[] = [];
  const fetchFn = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = String(input);
    const headers = new Headers(init.headers);
    calls.push({ url, method: init.method ?? 'GET', auth: headers.get('Authorization'), group: headers.get('X-Kasal-Group'), body: init.body as string | undefined });
    return handler(url, init);
  });
  return { fetchFn: fetchFn as unknown as typeof fetch, calls };
}

/** A tiny server: `valid` is the access token it accepts; refresh rotates to `next`. */
function server(opts: { refreshOk?: boolean; refreshDelay?: number } = {}) {
  const state = { valid: 'old', refreshes: 0 };
  const handler: Handler = async (url, init) => {
    const path = url.split('?')[0];
    if (path === '/api/v1/auth/refresh') {
      state.refreshes += 1;
      if (opts.refreshDelay) await new Promise((r) => setTimeout(r, opts.refreshDelay));
      if (opts.refreshOk === false) return json(401, { error: { code: 'invalid_refresh', message: 'expired' } });
      state.valid = `new-${state.refreshes}`;
      return json(200, tokens(state.valid));
    }
    if (path === '/api/v1/auth/login') return json(200, tokens('old'));
    const auth = new Headers(init.headers).get('Authorization');
    if (auth !== `Bearer ${state.valid}`) return json(401, { error: { code: 'unauthorized', message: 'token expired' } });
    if (path === '/api/v1/crews') return json(200, { items: [], next_cursor: null });
    if (path === '/api/v1/crews/missing') return json(404, { error: { code: 'crew_not_found', message: 'No such crew', details: [] } });
    if (path === '/api/v1/thing') return json(204, undefined);
    return json(200, { path });
  };
  return { state, handler };
}

describe('ApiClient', () => {
  it('sends the bearer token and the active group', async () => {
    const { handler } = server();
    const { fetchFn, calls } = stubFetch(handler);
    const client = new ApiClient({ fetch: fetchFn });
    await client.login('a@b.c', 'pw');
    client.groupId = 'g-1';
    await client.get('/crews', { q: 'x', cursor: null });
    const last = calls.at(-1)!;
    expect(last.url).toBe('/api/v1/crews?q=x');
    expect(last.auth).toBe('Bearer old');
    expect(last.group).toBe('g-1');
  });

  it('refreshes once on a 401 and retries the request', async () => {
    const { state, handler } = server();
    const { fetchFn, calls } = stubFetch(handler);
    const client = new ApiClient({ fetch: fetchFn });
    await client.login('a@b.c', 'pw');
    state.valid = 'rotated-elsewhere'; // the access token expired
    const result = await client.get<{ path: string }>('/crews/1');
    expect(result.path).toBe('/api/v1/crews/1');
    expect(state.refreshes).toBe(1);
    expect(calls.map((c) => c.url)).toEqual(['/api/v1/auth/login', '/api/v1/crews/1', '/api/v1/auth/refresh', '/api/v1/crews/1']);
    expect(calls.at(-1)!.auth).toBe('Bearer new-1');
  });

  it('shares one refresh between concurrent 401s', async () => {
    const { state, handler } = server({ refreshDelay: 20 });
    const { fetchFn, calls } = stubFetch(handler);
    const onAuthFailure = vi.fn();
    const client = new ApiClient({ fetch: fetchFn, onAuthFailure });
    await client.login('a@b.c', 'pw');
    state.valid = 'expired';
    const results = await Promise.all([client.get('/a'), client.get('/b'), client.get('/c'), client.get('/d')]);
    expect(results).toHaveLength(4);
    expect(state.refreshes).toBe(1);
    expect(calls.filter((c) => c.url === '/api/v1/auth/refresh')).toHaveLength(1);
    expect(onAuthFailure).not.toHaveBeenCalled();
  });

  it('retries without a new refresh when another request already refreshed', async () => {
    const { state, handler } = server();
    const { fetchFn } = stubFetch(handler);
    const client = new ApiClient({ fetch: fetchFn });
    await client.login('a@b.c', 'pw');
    state.valid = 'expired';
    await client.get('/first'); // refreshes → new-1
    expect(state.refreshes).toBe(1);
    await client.get('/second');
    expect(state.refreshes).toBe(1);
  });

  it('sends the user to sign-in when the refresh fails', async () => {
    const { state, handler } = server({ refreshOk: false });
    const { fetchFn } = stubFetch(handler);
    const onAuthFailure = vi.fn();
    const client = new ApiClient({ fetch: fetchFn, onAuthFailure });
    await client.login('a@b.c', 'pw');
    state.valid = 'expired';
    const results = await Promise.allSettled([client.get('/a'), client.get('/b')]);
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    const reason = (results[0] as PromiseRejectedResult).reason as ApiError;
    expect(reason).toBeInstanceOf(ApiError);
    expect(reason.status).toBe(401);
    expect(state.refreshes).toBe(1);
    expect(onAuthFailure).toHaveBeenCalled();
    expect(client.token).toBeNull();
  });

  it('does not try to refresh when login itself fails', async () => {
    const { fetchFn, calls } = stubFetch(() => json(401, { error: { code: 'invalid_credentials', message: 'Wrong email or password' } }));
    const onAuthFailure = vi.fn();
    const client = new ApiClient({ fetch: fetchFn, onAuthFailure });
    await expect(client.login('a@b.c', 'bad')).rejects.toMatchObject({ status: 401, code: 'invalid_credentials' });
    expect(calls).toHaveLength(1);
    expect(onAuthFailure).not.toHaveBeenCalled();
  });

  it('restores a session from the refresh cookie', async () => {
    const { handler } = server();
    const { fetchFn, calls } = stubFetch(handler);
    const client = new ApiClient({ fetch: fetchFn });
    expect(await client.refresh()).toBe(true);
    expect(client.token).toBe('new-1');
    expect(calls[0]).toMatchObject({ method: 'POST', body: '{}' });
  });

  it('parses the error shape', async () => {
    const { handler } = server();
    const { fetchFn } = stubFetch(handler);
    const client = new ApiClient({ fetch: fetchFn });
    await client.login('a@b.c', 'pw');
    await expect(client.get('/crews/missing')).rejects.toMatchObject({ status: 404, code: 'crew_not_found', message: 'No such crew' });
  });

  it('returns undefined for 204', async () => {
    const { handler } = server();
    const { fetchFn } = stubFetch(handler);
    const client = new ApiClient({ fetch: fetchFn });
    await client.login('a@b.c', 'pw');
    await expect(client.delete('/thing')).resolves.toBeUndefined();
  });

  it('refreshes ahead of expiry for WebSocket tokens', async () => {
    const { handler } = server();
    const { fetchFn } = stubFetch(handler);
    let now = 0;
    const client = new ApiClient({ fetch: fetchFn, now: () => now });
    await client.login('a@b.c', 'pw');
    expect(await client.freshToken()).toBe('old');
    now = 890_000; // 10 s before expiry
    expect(await client.freshToken()).toBe('new-1');
  });
});

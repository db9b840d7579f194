/**
 * The HTTP client for /api/v1.
 *
 * The access token lives in memory only. A 401 triggers one refresh (shared by all requests that
 * fail at the same time) and a single retry; if the refresh fails, `onAuthFailure` sends the user
 * to sign-in. The active group travels in `X-Kasal-Group`.
 */
import type { ErrorDetail, TokenPair } from './types';

export const API_PREFIX = '/api/v1';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: ErrorDetail[];

  constructor(status: number, code: string, message: string, details: ErrorDetail[] = []) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export type Query = Record<string, string | number | boolean | null | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  form?: FormData;
  signal?: AbortSignal;
  /** Return the raw Response (downloads). */
  raw?: boolean;
  /** Extra headers. */
  headers?: Record<string, string>;
}

export interface ApiClientOptions {
  fetch?: typeof fetch;
  onAuthFailure?: () => void;
  now?: () => number;
}

const NO_RETRY = new Set([`${API_PREFIX}/auth/login`, `${API_PREFIX}/auth/refresh`, `${API_PREFIX}/auth/logout`]);

export function buildUrl(path: string, query?: Query): string {
  const url = path.startsWith('/api/') ? path : `${API_PREFIX}${path}`;
  if (!query) return url;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  }
  const qs = params.toString();
  return qs ? `${url}?${qs}` : url;
}

async function toApiError(res: Response): Promise<ApiError> {
  let code = `http_${res.status}`;
  let message = res.statusText || `Request failed (${res.status})`;
  let details: ErrorDetail[] = [];
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string; details?: ErrorDetail[] } };
    if (body?.error) {
      code = body.error.code ?? code;
      message = body.error.message ?? message;
      details = Array.isArray(body.error.details) ? body.error.details : [];
    }
  } catch {
    // Not JSON (a proxy error page, for instance): keep the HTTP status text.
  }
  return new ApiError(res.status, code, message, details);
}

export class ApiClient {
  private accessToken: string | null = null;
  private expiresAt = 0;
  private refreshing: Promise<boolean> | null = null;
  private readonly fetchImpl: typeof fetch;
  private readonly now: () => number;
  groupId: string | null = null;
  onAuthFailure: () => void;

  constructor(options: ApiClientOptions = {}) {
    this.fetchImpl = options.fetch ?? ((...args) => globalThis.fetch(...args));
    this.onAuthFailure = options.onAuthFailure ?? (() => undefined);
    this.now = options.now ?? (() => Date.now());
  }

  get token(): string | null {
    return this.accessToken;
  }

  setTokens(pair: TokenPair | null): void {
    this.accessToken = pair?.access_token ?? null;
    this.expiresAt = pair ? this.now() + pair.expires_in * 1000 : 0;
  }

  /** A token valid for at least another 30 s (refreshing first if needed), or null when signed out. */
  async freshToken(): Promise<string | null> {
    if (this.accessToken && this.expiresAt - this.now() > 30_000) return this.accessToken;
    const ok = await this.refresh();
    return ok ? this.accessToken : null;
  }

  /** Rotate tokens using the HttpOnly refresh cookie. Concurrent callers share one request. */
  refresh(): Promise<boolean> {
    if (!this.refreshing) {
      this.refreshing = (async () => {
        try {
          const res = await this.fetchImpl(buildUrl('/auth/refresh'), {
            method: 'POST',
            credentials: 'same-origin',
            headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
            body: '{}',
          });
          if (!res.ok) {
            this.setTokens(null);
            return false;
          }
          this.setTokens((await res.json()) as TokenPair);
          return true;
        } catch {
          this.setTokens(null);
          return false;
        } finally {
          this.refreshing = null;
        }
      })();
    }
    return this.refreshing;
  }

  async login(username: string, password: string): Promise<void> {
    const pair = await this.request<TokenPair>('POST', '/auth/login', { body: { username, password } });
    this.setTokens(pair);
  }

  async logout(): Promise<void> {
    try {
      await this.request<void>('POST', '/auth/logout', { body: {} });
    } finally {
      this.setTokens(null);
    }
  }

  private headers(options: RequestOptions): Headers {
    const headers = new Headers({ Accept: 'application/json', ...options.headers });
    if (options.body !== undefined && !options.form) headers.set('Content-Type', 'application/json');
    if (this.accessToken) headers.set('Authorization', `Bearer ${this.accessToken}`);
    if (this.groupId) headers.set('X-Kasal-Group', this.groupId);
    return headers;
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const url = buildUrl(path, options.query);
    const send = () =>
      this.fetchImpl(url, {
        method,
        headers: this.headers(options),
        credentials: 'same-origin',
        body: options.form ?? (options.body !== undefined ? JSON.stringify(options.body) : undefined),
        signal: options.signal,
      });

    const tokenUsed = this.accessToken;
    let res = await send();
    if (res.status === 401 && !NO_RETRY.has(url.split('?')[0])) {
      // Another request may already have refreshed while this one was in flight.
      const ok = this.accessToken && this.accessToken !== tokenUsed ? true : await this.refresh();
      if (!ok) {
        this.onAuthFailure();
        throw await toApiError(res);
      }
      res = await send();
      if (res.status === 401) {
        this.setTokens(null);
        this.onAuthFailure();
      }
    }
    if (!res.ok) throw await toApiError(res);
    if (options.raw) return res as unknown as T;
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T> {
    return this.request<T>('GET', path, { query, signal });
  }
  post<T>(path: string, body?: unknown, query?: Query): Promise<T> {
    return this.request<T>('POST', path, { body: body ?? {}, query });
  }
  put<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PUT', path, { body });
  }
  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PATCH', path, { body });
  }
  delete<T = void>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }
  upload<T>(path: string, form: FormData): Promise<T> {
    return this.request<T>('POST', path, { form });
  }
  /**
   * POST a form with upload progress (`fetch` reports none): `onProgress` gets the fraction
   * sent, from 0 to 1. The token is made fresh first, so no 401 needs a second upload.
   */
  async uploadWithProgress<T>(path: string, form: FormData, onProgress: (sent: number) => void): Promise<T> {
    await this.freshToken();
    const headers = this.headers({ form });
    const xhr = new XMLHttpRequest();
    const done = new Promise<T>((resolve, reject) => {
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
      };
      xhr.onerror = () => reject(new ApiError(0, 'network_error', 'The upload did not reach the server'));
      xhr.onload = () => {
        const res = new Response(xhr.responseText || null, { status: xhr.status, statusText: xhr.statusText });
        if (xhr.status === 401) this.onAuthFailure();
        if (xhr.status < 200 || xhr.status >= 300) {
          void toApiError(res).then(reject);
          return;
        }
        resolve((xhr.responseText ? JSON.parse(xhr.responseText) : undefined) as T);
      };
    });
    xhr.open('POST', buildUrl(path));
    xhr.withCredentials = true;
    headers.forEach((value, name) => xhr.setRequestHeader(name, value));
    xhr.send(form);
    return done;
  }
  async download(path: string, query?: Query): Promise<{ blob: Blob; filename: string | null }> {
    const res = await this.request<Response>('GET', path, { query, raw: true, headers: { Accept: '*/*' } });
    const disposition = res.headers.get('Content-Disposition') ?? '';
    const match = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition);
    return { blob: await res.blob(), filename: match ? decodeURIComponent(match[1]) : null };
  }
}

/** The app's one client. Tests build their own with a fetch stub. */
export const api = new ApiClient();

export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.details.length > 0) {
      const first = error.details
        .slice(0, 3)
        .map((d) => d.message)
        .join('; ');
      return `${error.message}: ${first}`;
    }
    return error.message;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}

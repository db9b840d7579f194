/**
 * One WebSocket to /api/v1/ws with reconnection. It reports `failed` after repeated attempts that
 * never opened (a proxy that blocks WebSockets, say) so the caller can fall back to long-poll.
 */
import { API_PREFIX } from '../api/client';
import type { ServerMessage } from '../api/types';

export type SocketState = 'connecting' | 'open' | 'reconnecting' | 'failed' | 'closed';

export interface RealtimeSocketOptions {
  getToken: () => Promise<string | null>;
  groupId?: string | null;
  onMessage: (message: ServerMessage) => void;
  /** Called on every (re)open: (re)subscribe here. */
  onOpen?: (send: (message: unknown) => void) => void;
  onStateChange?: (state: SocketState) => void;
  WebSocketImpl?: typeof WebSocket;
  url?: (token: string, groupId?: string | null) => string;
  /** Attempts that never open before giving up. */
  maxConnectFailures?: number;
  /** Close and reconnect when nothing (not even a ping) arrives for this long. */
  silenceTimeoutMs?: number;
  backoffMs?: (attempt: number) => number;
}

export function defaultSocketUrl(token: string, groupId?: string | null): string {
  const { protocol, host } = window.location;
  const params = new URLSearchParams({ token });
  if (groupId) params.set('group', groupId);
  return `${protocol === 'https:' ? 'wss' : 'ws'}://${host}${API_PREFIX}/ws?${params.toString()}`;
}

export class RealtimeSocket {
  private ws: WebSocket | null = null;
  private stopped = false;
  private connectFailures = 0;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private silenceTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly opts: Required<Omit<RealtimeSocketOptions, 'groupId' | 'onOpen' | 'onStateChange'>> &
    Pick<RealtimeSocketOptions, 'groupId' | 'onOpen' | 'onStateChange'>;

  constructor(options: RealtimeSocketOptions) {
    this.opts = {
      WebSocketImpl: options.WebSocketImpl ?? globalThis.WebSocket,
      url: options.url ?? defaultSocketUrl,
      maxConnectFailures: options.maxConnectFailures ?? 2,
      silenceTimeoutMs: options.silenceTimeoutMs ?? 60_000,
      backoffMs: options.backoffMs ?? ((n) => Math.min(10_000, 500 * 2 ** n)),
      ...options,
    } as RealtimeSocket['opts'];
  }

  start(): void {
    this.stopped = false;
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.silenceTimer) clearTimeout(this.silenceTimer);
    const ws = this.ws;
    this.ws = null;
    if (ws && ws.readyState <= 1) ws.close(1000);
    this.setState('closed');
  }

  send(message: unknown): void {
    if (this.ws && this.ws.readyState === 1) this.ws.send(JSON.stringify(message));
  }

  private setState(state: SocketState) {
    this.opts.onStateChange?.(state);
  }

  private armSilenceTimer() {
    if (this.silenceTimer) clearTimeout(this.silenceTimer);
    this.silenceTimer = setTimeout(() => this.ws?.close(4000), this.opts.silenceTimeoutMs);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    this.setState(this.attempt === 0 ? 'connecting' : 'reconnecting');
    const token = await this.opts.getToken();
    if (this.stopped) return;
    if (!token || !this.opts.WebSocketImpl) {
      this.setState('failed');
      return;
    }
    let opened = false;
    let ws: WebSocket;
    try {
      ws = new this.opts.WebSocketImpl(this.opts.url(token, this.opts.groupId));
    } catch {
      this.onClosed(false);
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      opened = true;
      this.connectFailures = 0;
      this.attempt = 0;
      this.setState('open');
      this.armSilenceTimer();
      this.opts.onOpen?.((m) => this.send(m));
    };
    ws.onmessage = (msg: MessageEvent) => {
      this.armSilenceTimer();
      let parsed: ServerMessage;
      try {
        parsed = JSON.parse(String(msg.data)) as ServerMessage;
      } catch {
        return;
      }
      if (parsed.type === 'ping') return;
      this.opts.onMessage(parsed);
    };
    ws.onclose = () => {
      if (this.ws === ws) this.ws = null;
      if (this.silenceTimer) clearTimeout(this.silenceTimer);
      this.onClosed(opened);
    };
    ws.onerror = () => {
      // onclose follows and decides what to do.
    };
  }

  private onClosed(wasOpen: boolean) {
    if (this.stopped) return;
    if (!wasOpen) {
      this.connectFailures += 1;
      if (this.connectFailures >= this.opts.maxConnectFailures) {
        this.setState('failed');
        return;
      }
    }
    const delay = this.opts.backoffMs(this.attempt);
    this.attempt += 1;
    this.setState('reconnecting');
    this.retryTimer = setTimeout(() => void this.connect(), delay);
  }
}

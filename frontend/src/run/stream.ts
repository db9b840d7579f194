/**
 * Live events of one execution: WebSocket subscribe-with-`after` (replay then live), resumed from
 * the last applied seq after a drop; long-poll on `/executions/{id}/events` when the WebSocket
 * cannot connect. The reducer drops anything it has already applied, so overlaps are harmless.
 */
import type { EventsPage, ExecutionEvent } from '../api/types';
import { RealtimeSocket, type RealtimeSocketOptions } from './socket';

export type StreamMode = 'connecting' | 'live' | 'reconnecting' | 'polling' | 'closed';

export interface ExecutionStreamOptions {
  executionId: string;
  getLastSeq: () => number;
  onEvents: (events: ExecutionEvent[]) => void;
  isDone: () => boolean;
  getToken: () => Promise<string | null>;
  poll: (after: number, wait: number, signal: AbortSignal) => Promise<EventsPage>;
  onMode?: (mode: StreamMode) => void;
  /** The run cannot be followed (not found, no access): the stream has stopped. */
  onError?: (message: string) => void;
  groupId?: string | null;
  socket?: Partial<RealtimeSocketOptions>;
  pollWaitSeconds?: number;
  pollErrorDelayMs?: number;
}

export class ExecutionStream {
  private socket: RealtimeSocket | null = null;
  private polling = false;
  private stopped = false;
  private abort: AbortController | null = null;
  private readonly opts: ExecutionStreamOptions;

  constructor(opts: ExecutionStreamOptions) {
    this.opts = opts;
  }

  start(): void {
    this.stopped = false;
    const { executionId } = this.opts;
    this.socket = new RealtimeSocket({
      getToken: this.opts.getToken,
      groupId: this.opts.groupId,
      onOpen: (send) => {
        this.opts.onMode?.('live');
        send({ type: 'subscribe', execution_id: executionId, after: this.opts.getLastSeq() });
      },
      onMessage: (m) => {
        if (m.type === 'event' && m.event.execution_id === executionId) {
          this.opts.onEvents([m.event]);
          if (this.opts.isDone()) this.finish();
        } else if (m.type === 'error' && /not_found|forbidden/.test(m.code)) {
          this.opts.onError?.(m.message);
          this.stop();
        }
      },
      onStateChange: (state) => {
        if (state === 'reconnecting') this.opts.onMode?.('reconnecting');
        if (state === 'connecting') this.opts.onMode?.('connecting');
        if (state === 'failed') void this.startPolling();
      },
      ...this.opts.socket,
    });
    this.socket.start();
  }

  /** The run is over: let go of the connection. */
  private finish() {
    this.socket?.send({ type: 'unsubscribe', execution_id: this.opts.executionId });
    this.stop();
  }

  stop(): void {
    this.stopped = true;
    this.abort?.abort();
    const socket = this.socket;
    this.socket = null;
    socket?.stop();
    this.opts.onMode?.('closed');
  }

  private async startPolling(): Promise<void> {
    if (this.polling || this.stopped) return;
    this.polling = true;
    this.socket?.stop();
    this.socket = null;
    this.opts.onMode?.('polling');
    const wait = this.opts.pollWaitSeconds ?? 25;
    let errors = 0;
    while (!this.stopped && !this.opts.isDone()) {
      this.abort = new AbortController();
      try {
        const page = await this.opts.poll(this.opts.getLastSeq(), wait, this.abort.signal);
        errors = 0;
        if (this.stopped) break;
        if (page.items.length) this.opts.onEvents(page.items);
      } catch (e) {
        if (this.stopped) break;
        const status = (e as { status?: number }).status;
        if (status === 404 || status === 403) {
          this.opts.onError?.((e as Error).message);
          break;
        }
        errors += 1;
        await new Promise((r) => setTimeout(r, Math.min(10_000, (this.opts.pollErrorDelayMs ?? 1000) * errors)));
      }
    }
    this.polling = false;
    if (!this.stopped) this.stop();
  }
}

import { describe, expect, it, vi } from 'vitest';
import type { EventsPage, EventType, ExecutionEvent } from '../api/types';
import { applyEvents, initialRunState, isTerminal, type RunState } from './events';
import { ExecutionStream, type StreamMode } from './stream';

const EXEC = 'exec-1';
const event = (seq: number, type: EventType = 'log', data: Record<string, unknown> = { message: `line ${seq}` }): ExecutionEvent => ({
  execution_id: EXEC,
  seq,
  type,
  ts: new Date(Date.UTC(2025, 0, 1, 0, 0, seq)).toISOString(),
  task_key: null,
  agent_key: null,
  data,
});

/** A WebSocket double: tests drive open/message/close by hand. */
class FakeSocket {
  static instances: FakeSocket[] = [];
  static autoOpen = true;
  readyState = 0;
  sent: unknown[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((m: { data: string }) => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;
  readonly url: string;
  constructor(url: string) {
    this.url = url;
    FakeSocket.instances.push(this);
    setTimeout(() => {
      if (FakeSocket.autoOpen) {
        this.readyState = 1;
        this.onopen?.();
      } else {
        this.readyState = 3;
        this.onerror?.();
        this.onclose?.();
      }
    }, 0);
  }
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close() {
    this.readyState = 3;
    this.onclose?.();
  }
  push(e: ExecutionEvent) {
    this.onmessage?.({ data: JSON.stringify({ type: 'event', event: e }) });
  }
}

const tick = () => new Promise((r) => setTimeout(r, 5));

function follow(poll?: (after: number) => Promise<EventsPage>) {
  let state: RunState = initialRunState(EXEC);
  const modes: StreamMode[] = [];
  const pollCalls: number[] = [];
  const stream = new ExecutionStream({
    executionId: EXEC,
    getLastSeq: () => state.lastSeq,
    isDone: () => isTerminal(state.status),
    onEvents: (events) => {
      state = applyEvents(state, events);
    },
    getToken: async () => 'tok',
    poll: async (after) => {
      pollCalls.push(after);
      return poll ? poll(after) : { items: [], last_seq: after, status: 'running' };
    },
    onMode: (m) => modes.push(m),
    socket: {
      WebSocketImpl: FakeSocket as unknown as typeof WebSocket,
      url: (token) => `ws://test/api/v1/ws?token=${token}`,
      backoffMs: () => 0,
    },
    pollErrorDelayMs: 1,
  });
  return { stream, get state() { return state; }, modes, pollCalls };
}

describe('ExecutionStream', () => {
  it('subscribes, then after a dropped connection resumes from the last seq without losing or repeating lines', async () => {
    FakeSocket.instances = [];
    FakeSocket.autoOpen = true;
    const f = follow();
    f.stream.start();
    await tick();
    const first = FakeSocket.instances[0];
    expect(first.url).toBe('ws://test/api/v1/ws?token=tok');
    expect(first.sent).toEqual([{ type: 'subscribe', execution_id: EXEC, after: 0 }]);
    [1, 2, 3].forEach((s) => first.push(event(s)));
    first.close(); // connection drops
    await tick();
    const second = FakeSocket.instances[1];
    expect(second).toBeDefined();
    expect(second.sent).toEqual([{ type: 'subscribe', execution_id: EXEC, after: 3 }]);
    // The server may replay a little more than asked; lines must still appear once.
    [3, 4, 5].forEach((s) => second.push(event(s)));
    second.push(event(6, 'execution.succeeded', { result: 'done' }));
    expect(f.state.log.map((l) => l.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(f.state.status).toBe('succeeded');
    expect(f.modes).toContain('reconnecting');
    expect(second.sent.at(-1)).toEqual({ type: 'unsubscribe', execution_id: EXEC });
    expect(f.modes.at(-1)).toBe('closed');
  });

  it('falls back to long-poll when the WebSocket never connects, continuing from the last seq', async () => {
    FakeSocket.instances = [];
    FakeSocket.autoOpen = false;
    const pages: Record<number, EventsPage> = {
      0: { items: [event(1), event(2)], last_seq: 2, status: 'running' },
      2: { items: [event(2), event(3)], last_seq: 3, status: 'running' },
      3: { items: [event(4, 'execution.failed', { error: 'boom' })], last_seq: 4, status: 'failed' },
    };
    const f = follow(async (after) => pages[after] ?? { items: [], last_seq: after, status: 'failed' });
    f.stream.start();
    await vi.waitFor(() => expect(f.state.status).toBe('failed'));
    expect(FakeSocket.instances.length).toBe(2); // two attempts, then polling
    expect(f.modes).toContain('polling');
    expect(f.pollCalls).toEqual([0, 2, 3]);
    expect(f.state.log.map((l) => l.seq)).toEqual([1, 2, 3, 4]);
    expect(f.state.error).toBe('boom');
  });

  it('keeps polling through errors', async () => {
    FakeSocket.instances = [];
    FakeSocket.autoOpen = false;
    let calls = 0;
    const f = follow(async () => {
      calls += 1;
      if (calls === 1) throw new Error('network');
      return { items: [event(1, 'execution.cancelled')], last_seq: 1, status: 'cancelled' };
    });
    f.stream.start();
    await vi.waitFor(() => expect(f.state.status).toBe('cancelled'));
    expect(calls).toBe(2);
  });

  it('stops cleanly', async () => {
    FakeSocket.instances = [];
    FakeSocket.autoOpen = true;
    const f = follow();
    f.stream.start();
    await tick();
    f.stream.stop();
    await tick();
    expect(FakeSocket.instances).toHaveLength(1);
    expect(FakeSocket.instances[0].readyState).toBe(3);
  });
});

describe('ExecutionStream errors', () => {
  it('stops polling when the execution does not exist', async () => {
    FakeSocket.instances = [];
    FakeSocket.autoOpen = false;
    const onError = vi.fn();
    let polls = 0;
    const stream = new ExecutionStream({
      executionId: EXEC,
      getLastSeq: () => 0,
      isDone: () => false,
      onEvents: vi.fn(),
      onError,
      getToken: async () => 'tok',
      poll: async () => {
        polls += 1;
        throw Object.assign(new Error('Execution not found'), { status: 404 });
      },
      socket: { WebSocketImpl: FakeSocket as unknown as typeof WebSocket, url: () => 'ws://test', backoffMs: () => 0 },
    });
    stream.start();
    await vi.waitFor(() => expect(onError).toHaveBeenCalledWith('Execution not found'));
    await tick();
    expect(polls).toBe(1);
  });
});

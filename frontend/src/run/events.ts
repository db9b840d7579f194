/**
 * The run reducer: execution events in, what the UI shows out (node states, log lines, token
 * totals, result). Pure and deterministic. Events carry a per-execution `seq`; anything at or
 * below the last applied seq is a duplicate or an out-of-date replay and is ignored, so the
 * WebSocket replay, a reconnect and the long-poll fallback can overlap freely.
 */
import type { EventType, ExecutionEvent, ExecutionStatus } from '../api/types';

export type NodeRunState = 'queued' | 'running' | 'waiting' | 'done' | 'skipped' | 'failed';

/** What a paused run waits for (`execution.waiting`): answered in the approval dialog. */
export interface WaitingFor {
  approvalId: string;
  question: string;
  /** The flow step or the crew task that waits (a crew step's task has both). */
  stepKey: string | null;
  taskKey: string | null;
}
export type LogKind = 'execution' | 'crew' | 'task' | 'agent' | 'tool' | 'knowledge' | 'llm' | 'memory' | 'log';
export type LogLevel = 'debug' | 'info' | 'warning' | 'error';

export interface LogLine {
  /** Stable React key: the seq of the event that opened the line. */
  id: number;
  seq: number;
  ts: string;
  kind: LogKind;
  type: EventType;
  taskKey: string | null;
  agentKey: string | null;
  text: string;
  level: LogLevel;
  /** An LLM answer still streaming in (`llm.chunk`). */
  streaming?: boolean;
}

export interface TokenTotals {
  prompt: number;
  completion: number;
  total: number;
}

export interface RunState {
  executionId: string | null;
  lastSeq: number;
  status: ExecutionStatus;
  nodes: Record<string, NodeRunState>;
  log: LogLine[];
  tokens: TokenTotals;
  result: string | null;
  taskOutputs: Record<string, string>;
  error: string | null;
  /** Index in `log` of the open streaming line per agent/task. */
  streams: Record<string, number>;
  /** Set while the run waits for an answer; cleared when it is answered. */
  waiting: WaitingFor | null;
}

export function initialRunState(executionId: string | null, nodeKeys: string[] = []): RunState {
  return {
    executionId,
    lastSeq: 0,
    status: 'queued',
    nodes: Object.fromEntries(nodeKeys.map((k) => [k, 'queued' as NodeRunState])),
    log: [],
    tokens: { prompt: 0, completion: 0, total: 0 },
    result: null,
    taskOutputs: {},
    error: null,
    streams: {},
    waiting: null,
  };
}

const TERMINAL: Partial<Record<EventType, ExecutionStatus>> = {
  'execution.succeeded': 'succeeded',
  'execution.failed': 'failed',
  'execution.cancelled': 'cancelled',
  'execution.interrupted': 'interrupted',
};

function str(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

function clip(text: string, max = 300): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** The previews of a memory event, each with its score when recalled. */
function memories(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  return v.map((m: { preview?: unknown; score?: unknown }) => {
    const score = typeof m.score === 'number' ? ` (${m.score.toFixed(2)})` : '';
    return `${clip(str(m.preview), 120)}${score}`;
  });
}

function kindOf(type: EventType): LogKind {
  const prefix = type.split('.')[0];
  if (
    prefix === 'execution' ||
    prefix === 'crew' ||
    prefix === 'task' ||
    prefix === 'agent' ||
    prefix === 'tool' ||
    prefix === 'knowledge' ||
    prefix === 'llm' ||
    prefix === 'memory'
  )
    return prefix;
  return 'log';
}

function ms(v: unknown): string {
  const n = num(v);
  return n ? ` in ${n < 1000 ? `${Math.round(n)} ms` : `${(n / 1000).toFixed(1)} s`}` : '';
}

/** One chunk a knowledge search found, as the `knowledge.retrieved` event names it. */
interface KnowledgeSource {
  file?: string;
  page?: number | null;
  section?: string | null;
  score?: number;
}

/** `guide.pdf p. 3 (0.82)`, `notes.md § Setup (0.74)`: where a retrieved chunk comes from. */
export function sourceLabel(hit: KnowledgeSource): string {
  const where = hit.page ? ` p. ${hit.page}` : hit.section ? ` § ${hit.section}` : '';
  return `${hit.file ?? '?'}${where} (${num(hit.score).toFixed(2)})`;
}

/** The text of a log line for an event, or null for events that only change state. */
export function describe(e: ExecutionEvent): { text: string; level: LogLevel } | null {
  const d = e.data ?? {};
  const task = e.task_key ? `"${e.task_key}"` : '';
  const agent = e.agent_key ? `"${e.agent_key}"` : '';
  switch (e.type) {
    case 'execution.queued':
      return { text: 'Execution queued', level: 'info' };
    case 'execution.started':
      return { text: 'Execution started', level: 'info' };
    case 'execution.cancelling':
      return { text: 'Cancelling…', level: 'warning' };
    case 'execution.requeued':
      return { text: `Execution re-queued${d.reason ? `: ${str(d.reason)}` : ''}`, level: 'warning' };
    case 'execution.succeeded':
      return { text: 'Execution succeeded', level: 'info' };
    case 'execution.failed':
      return { text: `Execution failed${d.error ? `: ${str(d.error)}` : ''}`, level: 'error' };
    case 'execution.cancelled':
      return { text: 'Execution cancelled', level: 'warning' };
    case 'execution.interrupted':
      return { text: `Execution interrupted${d.error ? `: ${str(d.error)}` : ''}`, level: 'error' };
    case 'execution.waiting':
      return { text: `Waiting for an answer${d.question ? `: ${clip(str(d.question), 200)}` : ''}`, level: 'warning' };
    case 'approval.answered':
      // `by` is a bare user id (null for a timeout): nothing a reader could recognise.
      return {
        text: `Answered: ${str(d.decision)}${d.timed_out ? ' (timed out)' : ''}${d.comment ? ` · ${clip(str(d.comment), 200)}` : ''}`,
        level: 'info',
      };
    case 'flow.started':
      return { text: 'Flow started', level: 'info' };
    case 'flow.completed':
      return { text: 'Flow completed', level: 'info' };
    case 'flow.failed':
      return { text: `Flow failed${d.error ? `: ${str(d.error)}` : ''}`, level: 'error' };
    case 'step.started':
      return { text: `Step ${str(e.step_key ?? d.step)} started`, level: 'info' };
    case 'step.completed':
      return { text: `Step ${str(e.step_key ?? d.step)} completed`, level: 'info' };
    case 'step.skipped':
      return { text: `Step ${str(e.step_key ?? d.step)} skipped`, level: 'debug' };
    case 'step.failed':
      return { text: `Step ${str(e.step_key ?? d.step)} failed${d.error ? `: ${str(d.error)}` : ''}`, level: 'error' };
    case 'crew.started':
      return { text: 'Crew started', level: 'info' };
    case 'crew.completed':
      return { text: 'Crew completed', level: 'info' };
    case 'crew.failed':
      return { text: `Crew failed${d.error ? `: ${str(d.error)}` : ''}`, level: 'error' };
    case 'task.started':
      return { text: `Task ${task} started${agent ? ` by agent ${agent}` : ''}`, level: 'info' };
    case 'task.completed':
      return { text: `Task ${task} completed${d.output ? `: ${clip(str(d.output), 200)}` : ''}`, level: 'info' };
    case 'task.failed':
      return { text: `Task ${task} failed${d.error ? `: ${str(d.error)}` : ''}`, level: 'error' };
    case 'agent.started':
      return { text: `Agent ${agent} started`, level: 'info' };
    case 'agent.completed':
      return { text: `Agent ${agent} finished`, level: 'info' };
    case 'agent.failed':
      return { text: `Agent ${agent} failed${d.error ? `: ${str(d.error)}` : ''}`, level: 'error' };
    case 'tool.started':
      return { text: `Tool ${str(d.tool)}(${clip(str(d.args), 200)})`, level: 'info' };
    case 'tool.completed':
      return { text: `Tool ${str(d.tool)} returned${ms(d.duration_ms)}: ${clip(str(d.output))}`, level: 'info' };
    case 'tool.failed':
      return { text: `Tool ${str(d.tool)} failed${ms(d.duration_ms)}: ${str(d.error)}`, level: 'error' };
    case 'knowledge.retrieved': {
      const hits = Array.isArray(d.hits) ? (d.hits as KnowledgeSource[]) : [];
      const found = hits.length ? `: ${hits.map(sourceLabel).join('; ')}` : ': nothing found';
      return { text: `Knowledge search "${clip(str(d.query), 120)}"${found}`, level: 'info' };
    }
    case 'llm.started':
      return { text: `LLM call to ${str(d.model) || 'model'}`, level: 'debug' };
    case 'llm.completed': {
      const p = num(d.prompt_tokens);
      const c = num(d.completion_tokens);
      return { text: `LLM ${str(d.model)} answered${ms(d.duration_ms)} (${p} prompt + ${c} completion tokens)`, level: 'debug' };
    }
    case 'llm.failed':
      return { text: `LLM ${str(d.model)} failed: ${str(d.error)}`, level: 'error' };
    case 'memory.recalled': {
      const found = memories(d.memories);
      const n = num(d.count);
      return {
        text: `Memory recalled ${n} for "${clip(str(d.query), 80)}"${found.length ? `: ${found.join('; ')}` : ''}`,
        level: 'info',
      };
    }
    case 'memory.saved': {
      const found = memories(d.memories);
      return { text: `Memory saved ${num(d.count)}${found.length ? `: ${found.join('; ')}` : ''}`, level: 'info' };
    }
    case 'log': {
      const level = str(d.level).toLowerCase();
      return {
        text: str(d.message),
        level: level === 'error' || level === 'warning' || level === 'debug' ? level : level === 'warn' ? 'warning' : 'info',
      };
    }
    case 'llm.chunk':
      return null; // streamed into one line by applyEvent
    default:
      return unknownType(e.type, d);
  }
}

/** A type this build does not know (a newer server's). `never`: the switch above must name
 * every type of the catalogue, or this does not compile. */
function unknownType(type: never, d: Record<string, unknown>): { text: string; level: LogLevel } {
  return { text: `${String(type)}${Object.keys(d).length ? ` ${clip(str(d), 200)}` : ''}`, level: 'info' };
}

const streamKey = (e: ExecutionEvent) => `${e.agent_key ?? ''}|${e.task_key ?? ''}`;

function setNode(nodes: Record<string, NodeRunState>, key: string | null | undefined, state: NodeRunState): Record<string, NodeRunState> {
  if (!key || nodes[key] === state) return nodes;
  return { ...nodes, [key]: state };
}

function settleRunning(nodes: Record<string, NodeRunState>, to: NodeRunState): Record<string, NodeRunState> {
  let changed = false;
  const next: Record<string, NodeRunState> = {};
  for (const [k, v] of Object.entries(nodes)) {
    if (v === 'running') {
      next[k] = to;
      changed = true;
    } else next[k] = v;
  }
  return changed ? next : nodes;
}

function closeStream(state: RunState, key: string): Pick<RunState, 'log' | 'streams'> {
  const index = state.streams[key];
  if (index === undefined) return { log: state.log, streams: state.streams };
  const log = state.log.slice();
  log[index] = { ...log[index], streaming: false };
  const streams = { ...state.streams };
  delete streams[key];
  return { log, streams };
}

export function applyEvent(state: RunState, event: ExecutionEvent): RunState {
  if (event.seq <= state.lastSeq) return state; // duplicate or stale replay
  if (state.executionId && event.execution_id && event.execution_id !== state.executionId) return state;

  let next: RunState = { ...state, lastSeq: event.seq };
  const d = event.data ?? {};
  const line = (text: string, level: LogLevel, extra: Partial<LogLine> = {}): LogLine => ({
    id: event.seq,
    seq: event.seq,
    ts: event.ts,
    kind: kindOf(event.type),
    type: event.type,
    taskKey: event.task_key,
    agentKey: event.agent_key,
    text,
    level,
    ...extra,
  });

  if (event.type === 'llm.chunk') {
    const key = streamKey(event);
    const index = next.streams[key];
    const text = str(d.text);
    const log = next.log.slice();
    if (index === undefined) {
      log.push(line(text, 'info', { streaming: true }));
      next = { ...next, log, streams: { ...next.streams, [key]: log.length - 1 } };
    } else {
      log[index] = { ...log[index], text: log[index].text + text, seq: event.seq };
      next = { ...next, log };
    }
    return next;
  }

  if (event.type === 'llm.completed' || event.type === 'llm.failed') {
    next = { ...next, ...closeStream(next, streamKey(event)) };
    const p = num(d.prompt_tokens);
    const c = num(d.completion_tokens);
    if (p || c) {
      next.tokens = { prompt: next.tokens.prompt + p, completion: next.tokens.completion + c, total: next.tokens.total + p + c };
    }
  }

  switch (event.type) {
    case 'execution.queued':
      next.status = 'queued';
      break;
    case 'execution.started':
      next.status = 'running';
      break;
    case 'execution.cancelling':
      next.status = 'cancelling';
      break;
    case 'execution.requeued':
      next.status = 'queued';
      break;
    case 'execution.waiting': {
      next.status = 'waiting';
      const waiting: WaitingFor = {
        approvalId: str(d.approval_id),
        question: str(d.question),
        stepKey: typeof d.step_key === 'string' ? d.step_key : (event.step_key ?? null),
        taskKey: typeof d.task_key === 'string' ? d.task_key : event.task_key,
      };
      next.waiting = waiting;
      next.nodes = setNode(setNode(next.nodes, waiting.stepKey, 'waiting'), waiting.taskKey, 'waiting');
      break;
    }
    case 'approval.answered':
      if (next.waiting) {
        // The run goes back to the queue; the waiting node runs again (or completes) from there.
        next.nodes = setNode(setNode(next.nodes, next.waiting.stepKey, 'running'), next.waiting.taskKey, 'running');
        next.waiting = null;
      }
      next.status = 'queued';
      break;
    case 'step.started':
      next.nodes = setNode(next.nodes, event.step_key, 'running');
      if (next.status === 'queued') next.status = 'running';
      break;
    case 'step.completed':
      next.nodes = setNode(next.nodes, event.step_key, 'done');
      if (event.step_key && d.output !== undefined && d.kind === 'crew')
        next.taskOutputs = { ...next.taskOutputs, [event.step_key]: str(d.output) };
      break;
    case 'step.skipped':
      next.nodes = setNode(next.nodes, event.step_key, 'skipped');
      break;
    case 'step.failed':
      next.nodes = setNode(next.nodes, event.step_key, 'failed');
      break;
    case 'task.started':
      next.nodes = setNode(next.nodes, event.task_key, 'running');
      if (event.agent_key) next.nodes = setNode(next.nodes, event.agent_key, 'running');
      if (next.status === 'queued') next.status = 'running';
      break;
    case 'task.completed':
      next.nodes = setNode(next.nodes, event.task_key, 'done');
      if (event.task_key && d.output !== undefined) next.taskOutputs = { ...next.taskOutputs, [event.task_key]: str(d.output) };
      break;
    case 'task.failed':
      next.nodes = setNode(next.nodes, event.task_key, 'failed');
      break;
    case 'agent.started':
      next.nodes = setNode(next.nodes, event.agent_key, 'running');
      break;
    case 'agent.completed':
      next.nodes = setNode(next.nodes, event.agent_key, 'done');
      break;
    case 'agent.failed':
      next.nodes = setNode(next.nodes, event.agent_key, 'failed');
      break;
    default:
      break;
  }

  const terminal = TERMINAL[event.type];
  if (terminal) {
    next.status = terminal;
    if (terminal === 'succeeded') {
      next.nodes = settleRunning(next.nodes, 'done');
      if (d.result !== undefined && d.result !== null) next.result = str(d.result);
      if (d.task_outputs && typeof d.task_outputs === 'object')
        next.taskOutputs = { ...next.taskOutputs, ...(d.task_outputs as Record<string, string>) };
    } else {
      next.nodes = settleRunning(next.nodes, 'failed');
      if (d.error !== undefined && d.error !== null) next.error = str(d.error);
    }
    // Whatever was still streaming is over.
    let closed: Pick<RunState, 'log' | 'streams'> = { log: next.log, streams: next.streams };
    for (const key of Object.keys(next.streams)) closed = closeStream({ ...next, ...closed }, key);
    next = { ...next, ...closed };
  }

  const described = describe(event);
  if (described) next.log = [...next.log, line(described.text, described.level)];
  return next;
}

/** Apply a batch, in seq order (a batch may arrive out of order). */
export function applyEvents(state: RunState, events: ExecutionEvent[]): RunState {
  const sorted = [...events].sort((a, b) => a.seq - b.seq);
  return sorted.reduce(applyEvent, state);
}

export function isTerminal(status: ExecutionStatus): boolean {
  return status === 'succeeded' || status === 'failed' || status === 'cancelled' || status === 'interrupted';
}

export interface LogFilter {
  kinds: ReadonlySet<LogKind>;
  taskKey: string | null;
  agentKey: string | null;
}

export function filterLog(log: LogLine[], filter: LogFilter): LogLine[] {
  return log.filter(
    (l) =>
      filter.kinds.has(l.kind) &&
      (!filter.taskKey || l.taskKey === filter.taskKey) &&
      (!filter.agentKey || l.agentKey === filter.agentKey),
  );
}

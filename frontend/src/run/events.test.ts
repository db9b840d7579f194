import { describe, expect, it } from 'vitest';
import { EVENT_TYPES, type EventType, type ExecutionEvent } from '../api/types';
import { applyEvent, applyEvents, describe as describeEvent, filterLog, initialRunState, type RunState } from './events';

const EXEC = 'exec-1';
let clock = 0;
function ev(seq: number, type: EventType, extra: Partial<ExecutionEvent> = {}): ExecutionEvent {
  clock += 1;
  return {
    execution_id: EXEC,
    seq,
    type,
    ts: new Date(Date.UTC(2025, 0, 1, 0, 0, clock)).toISOString(),
    task_key: null,
    agent_key: null,
    data: {},
    ...extra,
  };
}

/** A whole successful run of a one-agent, two-task crew. */
function script(): ExecutionEvent[] {
  return [
    ev(1, 'execution.queued'),
    ev(2, 'execution.started'),
    ev(3, 'crew.started'),
    ev(4, 'task.started', { task_key: 'research', agent_key: 'researcher' }),
    ev(5, 'agent.started', { task_key: 'research', agent_key: 'researcher' }),
    ev(6, 'llm.started', { task_key: 'research', agent_key: 'researcher', data: { model: 'demo' } }),
    ev(7, 'llm.chunk', { task_key: 'research', agent_key: 'researcher', data: { text: 'Hello ' } }),
    ev(8, 'llm.chunk', { task_key: 'research', agent_key: 'researcher', data: { text: 'world' } }),
    ev(9, 'llm.completed', {
      task_key: 'research',
      agent_key: 'researcher',
      data: { model: 'demo', prompt_tokens: 100, completion_tokens: 20, duration_ms: 12 },
    }),
    ev(10, 'tool.started', { task_key: 'research', agent_key: 'researcher', data: { tool: 'http_request', args: { url: 'x' } } }),
    ev(11, 'tool.completed', { task_key: 'research', agent_key: 'researcher', data: { tool: 'http_request', output: 'ok', duration_ms: 5 } }),
    ev(12, 'agent.completed', { task_key: 'research', agent_key: 'researcher' }),
    ev(13, 'task.completed', { task_key: 'research', agent_key: 'researcher', data: { output: 'Research notes' } }),
    ev(14, 'task.started', { task_key: 'write', agent_key: 'researcher' }),
    ev(15, 'llm.completed', { task_key: 'write', agent_key: 'researcher', data: { model: 'demo', prompt_tokens: 50, completion_tokens: 30 } }),
    ev(16, 'task.completed', { task_key: 'write', agent_key: 'researcher', data: { output: '# Article' } }),
    ev(17, 'crew.completed'),
    ev(18, 'execution.succeeded', { data: { result: '# Article' } }),
  ];
}

const fresh = () => initialRunState(EXEC, ['researcher', 'research', 'write']);

describe('applyEvent', () => {
  it('starts with every node queued', () => {
    expect(fresh().nodes).toEqual({ researcher: 'queued', research: 'queued', write: 'queued' });
  });

  it('follows a run: node states, tokens, outputs and result', () => {
    const events = script();
    let s = fresh();
    s = applyEvents(s, events.slice(0, 5));
    expect(s.status).toBe('running');
    expect(s.nodes).toMatchObject({ researcher: 'running', research: 'running', write: 'queued' });

    s = applyEvents(s, events.slice(5, 13));
    expect(s.nodes).toMatchObject({ researcher: 'done', research: 'done', write: 'queued' });
    expect(s.tokens).toEqual({ prompt: 100, completion: 20, total: 120 });
    expect(s.taskOutputs).toEqual({ research: 'Research notes' });

    s = applyEvents(s, events.slice(13));
    expect(s.status).toBe('succeeded');
    expect(s.nodes).toEqual({ researcher: 'done', research: 'done', write: 'done' });
    expect(s.tokens).toEqual({ prompt: 150, completion: 50, total: 200 });
    expect(s.result).toBe('# Article');
    expect(s.lastSeq).toBe(18);
  });

  it('names the sources of a knowledge search: file, page or section, and score', () => {
    const hits = [
      { file: 'manual.pdf', page: 1, section: null, score: 0.8312 },
      { file: 'policy.docx', page: null, section: 'Refunds', score: 0.5 },
    ];
    const found = describeEvent(ev(3, 'knowledge.retrieved', { agent_key: 'researcher', data: { query: 'warranty?', bases: ['Manuals'], hits } }));
    expect(found).toEqual({ text: 'Knowledge search "warranty?": manual.pdf p. 1 (0.83); policy.docx § Refunds (0.50)', level: 'info' });
    expect(describeEvent(ev(4, 'knowledge.retrieved', { data: { query: 'x', hits: [] } }))?.text).toBe('Knowledge search "x": nothing found');
  });

  it('appends llm.chunk text to one streaming line, closed by llm.completed', () => {
    const s = applyEvents(fresh(), script().slice(0, 9));
    const streamed = s.log.filter((l) => l.type === 'llm.chunk');
    expect(streamed).toHaveLength(1);
    expect(streamed[0].text).toBe('Hello world');
    expect(streamed[0].streaming).toBe(false);
  });

  it('keeps the chunk line streaming until the call completes', () => {
    const s = applyEvents(fresh(), script().slice(0, 8));
    const line = s.log.find((l) => l.type === 'llm.chunk');
    expect(line?.text).toBe('Hello world');
    expect(line?.streaming).toBe(true);
  });

  it('ignores duplicates: applying an event twice changes nothing', () => {
    const events = script();
    const once = applyEvents(fresh(), events.slice(0, 10));
    const twice = applyEvent(once, events[9]);
    expect(twice).toBe(once);
    expect(applyEvent(once, events[6])).toBe(once); // a duplicate chunk does not double the text
  });

  it('ignores a replay that overlaps what was already applied (reconnect)', () => {
    const events = script();
    const live = applyEvents(fresh(), events.slice(0, 12));
    // The server replays from an older seq after a reconnect: 8..18.
    const resumed = applyEvents(live, events.slice(7));
    const straight = applyEvents(fresh(), events);
    expect(resumed.log).toEqual(straight.log);
    expect(resumed.tokens).toEqual(straight.tokens);
    expect(resumed.nodes).toEqual(straight.nodes);
  });

  it('sorts a batch that arrives out of order', () => {
    const events = script();
    const shuffled = [...events].reverse();
    const s = applyEvents(fresh(), shuffled);
    expect(s).toEqual(applyEvents(fresh(), events));
  });

  it('drops an out-of-date event that arrives after a newer one', () => {
    const events = script();
    const s = applyEvent(applyEvent(fresh(), events[4]), events[3]);
    expect(s.lastSeq).toBe(5);
    expect(s.nodes.research).toBe('queued'); // task.started (seq 4) came too late
    expect(s.nodes.researcher).toBe('running');
  });

  it('ignores events of another execution', () => {
    const s = applyEvent(fresh(), { ...script()[3], execution_id: 'other' });
    expect(s).toEqual(fresh());
  });

  it('marks running nodes failed when the execution fails, with the error', () => {
    const events = script().slice(0, 5);
    const s = applyEvents(fresh(), [...events, ev(6, 'execution.failed', { data: { error: 'boom' } })]);
    expect(s.status).toBe('failed');
    expect(s.error).toBe('boom');
    expect(s.nodes).toMatchObject({ researcher: 'failed', research: 'failed', write: 'queued' });
    expect(s.log.at(-1)?.level).toBe('error');
  });

  it('follows the server\'s status events: running, cancelling, re-queued', () => {
    const running = applyEvents(fresh(), script().slice(0, 2));
    expect(running.status).toBe('running');
    expect(running.log.map((l) => l.text)).toEqual(['Execution queued', 'Execution started']);
    const cancelling = applyEvent(running, ev(3, 'execution.cancelling'));
    expect(cancelling.status).toBe('cancelling');
    expect(cancelling.log.at(-1)).toMatchObject({ text: 'Cancelling…', level: 'warning' });
    const requeued = applyEvent(running, ev(3, 'execution.requeued', { data: { reason: 'worker lost' } }));
    expect(requeued.status).toBe('queued');
    expect(requeued.log.at(-1)?.text).toBe('Execution re-queued: worker lost');
  });

  it('handles cancellation and interruption as terminal', () => {
    const base = applyEvents(fresh(), script().slice(0, 8));
    const cancelled = applyEvent(base, ev(9, 'execution.cancelled'));
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.log.some((l) => l.streaming)).toBe(false);
    expect(applyEvent(base, ev(9, 'execution.interrupted')).status).toBe('interrupted');
  });

  it('records task and tool failures', () => {
    const s = applyEvents(fresh(), [
      ev(1, 'task.started', { task_key: 'research' }),
      ev(2, 'tool.failed', { task_key: 'research', data: { tool: 'http_request', error: 'timeout' } }),
      ev(3, 'task.failed', { task_key: 'research', data: { error: 'gave up' } }),
    ]);
    expect(s.nodes.research).toBe('failed');
    expect(s.log.map((l) => l.level)).toEqual(['info', 'error', 'error']);
  });

  it('turns log events into lines with their level', () => {
    const s = applyEvent(fresh(), ev(1, 'log', { data: { level: 'WARNING', message: 'careful' } }));
    expect(s.log[0]).toMatchObject({ kind: 'log', text: 'careful', level: 'warning' });
  });

  it('does not mutate the previous state', () => {
    const before: RunState = fresh();
    const snapshot = JSON.stringify(before);
    applyEvents(before, script());
    expect(JSON.stringify(before)).toBe(snapshot);
  });
});

describe('filterLog', () => {
  const s = applyEvents(fresh(), script());
  it('filters by kind', () => {
    const tools = filterLog(s.log, { kinds: new Set(['tool']), taskKey: null, agentKey: null });
    expect(tools.map((l) => l.type)).toEqual(['tool.started', 'tool.completed']);
  });
  it('filters by task and agent', () => {
    const all = new Set(['execution', 'crew', 'task', 'agent', 'tool', 'knowledge', 'llm', 'log'] as const);
    const write = filterLog(s.log, { kinds: all, taskKey: 'write', agentKey: null });
    expect(write.every((l) => l.taskKey === 'write')).toBe(true);
    expect(write.length).toBe(3);
    const byAgent = filterLog(s.log, { kinds: all, taskKey: null, agentKey: 'researcher' });
    expect(byAgent.every((l) => l.agentKey === 'researcher')).toBe(true);
  });
  it('keeps LLM lines only when LLM is on', () => {
    const noLlm = filterLog(s.log, { kinds: new Set(['task']), taskKey: null, agentKey: null });
    expect(noLlm.some((l) => l.kind === 'llm')).toBe(false);
  });
});

describe('the event catalogue', () => {
  it('describes every event type the server can send in its own words', () => {
    // llm.chunk is folded into one streaming line by applyEvent; every other type has a line.
    for (const type of EVENT_TYPES.filter((t) => t !== 'llm.chunk' && t !== 'log')) {
      const line = describeEvent(ev(1, type));
      expect(line, type).not.toBeNull();
      expect(line!.text.startsWith(type), type).toBe(false);
    }
  });
});

describe('memory events', () => {
  it('shows what was recalled, with scores, and what was saved, under the Memory kind', () => {
    const recalled = ev(1, 'memory.recalled', {
      task_key: 'research',
      data: { query: 'Research tides', count: 1, memories: [{ id: 'm1', preview: 'Spring tides rise 13 m.', score: 0.8123 }] },
    });
    const saved = ev(2, 'memory.saved', { data: { count: 1, memories: [{ preview: 'Tea comes from China.' }] } });
    expect(describeEvent(recalled)).toEqual({
      text: 'Memory recalled 1 for "Research tides": Spring tides rise 13 m. (0.81)',
      level: 'info',
    });
    expect(describeEvent(saved)?.text).toBe('Memory saved 1: Tea comes from China.');
    const s = applyEvents(fresh(), [recalled, saved]);
    const lines = filterLog(s.log, { kinds: new Set(['memory']), taskKey: null, agentKey: null });
    expect(lines.map((l) => l.type)).toEqual(['memory.recalled', 'memory.saved']);
  });
});

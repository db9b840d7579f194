/** The run reducer on a flow's events (steps, and a crew's tasks inside them) and on pauses. */
import { describe, expect, it } from 'vitest';
import type { EventType, ExecutionEvent } from '../api/types';
import { applyEvents, initialRunState, isTerminal } from './events';

let seq = 0;
const ev = (type: EventType, extra: Partial<ExecutionEvent> = {}): ExecutionEvent => ({
  execution_id: 'x1',
  seq: ++seq,
  type,
  ts: '2026-12-04T10:00:00Z',
  task_key: null,
  agent_key: null,
  step_key: null,
  data: {},
  ...extra,
});

describe('flow runs', () => {
  it('lights each step as it starts, completes, is skipped or fails', () => {
    seq = 0;
    const state = applyEvents(initialRunState('x1', ['research', 'route', 'publish', 'rewrite']), [
      ev('execution.started'),
      ev('flow.started'),
      ev('step.started', { step_key: 'research' }),
      ev('crew.started', { step_key: 'research' }),
      ev('task.started', { step_key: 'research', task_key: 'find' }),
    ]);
    expect(state.nodes.research).toBe('running');
    const next = applyEvents(state, [
      ev('task.completed', { step_key: 'research', task_key: 'find', data: { output: 'facts' } }),
      ev('step.completed', { step_key: 'research', data: { kind: 'crew', output: '{"score": 8}' } }),
      ev('step.started', { step_key: 'route' }),
      ev('step.completed', { step_key: 'route', data: { kind: 'router', chosen: 'publish' } }),
      ev('step.skipped', { step_key: 'rewrite' }),
      ev('step.started', { step_key: 'publish' }),
      ev('step.failed', { step_key: 'publish', data: { error: 'boom' } }),
    ]);
    expect(next.nodes).toMatchObject({ research: 'done', route: 'done', rewrite: 'skipped', publish: 'failed' });
    expect(next.taskOutputs.research).toBe('{"score": 8}');
    expect(next.log.some((l) => l.text === 'Step publish failed: boom')).toBe(true);
  });

  it('waits at the step that asks, offers its approval, and goes on once answered', () => {
    seq = 0;
    const waiting = applyEvents(initialRunState('x1', ['draft', 'review']), [
      ev('execution.started'),
      ev('step.started', { step_key: 'draft' }),
      ev('step.completed', { step_key: 'draft', data: { kind: 'crew', output: 'text' } }),
      ev('step.started', { step_key: 'review' }),
      ev('execution.waiting', { data: { approval_id: 'ap1', question: 'Publish?', step_key: 'review', task_key: null } }),
    ]);
    expect(waiting.status).toBe('waiting');
    expect(isTerminal(waiting.status)).toBe(false);
    expect(waiting.nodes.review).toBe('waiting');
    expect(waiting.waiting).toEqual({ approvalId: 'ap1', question: 'Publish?', stepKey: 'review', taskKey: null });

    const answered = applyEvents(waiting, [ev('approval.answered', { data: { approval_id: 'ap1', decision: 'approve', by: 'u1' } })]);
    expect(answered.waiting).toBeNull();
    expect(answered.status).toBe('queued');
    expect(answered.log.at(-1)?.text).toBe('Answered: approve');
    const done = applyEvents(answered, [
      ev('execution.started'),
      ev('step.completed', { step_key: 'review', data: { kind: 'approval', output: 'approve' } }),
      ev('execution.succeeded', { data: { result: 'text' } }),
    ]);
    expect(done.nodes).toEqual({ draft: 'done', review: 'done' });
    expect(done.result).toBe('text');
  });

  it("logs a timeout's answer and the answer's comment, not the answerer's bare id", () => {
    seq = 0;
    const state = applyEvents(initialRunState('x1', ['review']), [
      ev('execution.waiting', { data: { approval_id: 'ap1', question: 'Publish?', step_key: 'review', task_key: null } }),
      ev('approval.answered', { data: { approval_id: 'ap1', decision: 'reject', by: null, comment: null, timed_out: true } }),
      ev('execution.waiting', { data: { approval_id: 'ap2', question: 'Publish?', step_key: 'review', task_key: null } }),
      ev('approval.answered', { data: { approval_id: 'ap2', decision: 'approve', by: 'u1', comment: 'Good sources', timed_out: false } }),
    ]);
    expect(state.log.filter((l) => l.type === 'approval.answered').map((l) => l.text)).toEqual(['Answered: reject (timed out)', 'Answered: approve · Good sources']);
  });

  it("marks a crew's waiting task, and fails it when the answer rejects", () => {
    seq = 0;
    const state = applyEvents(initialRunState('x1', ['research', 'write']), [
      ev('task.started', { task_key: 'research' }),
      ev('task.completed', { task_key: 'research', data: { output: 'facts' } }),
      ev('execution.waiting', { data: { approval_id: 'ap2', question: 'Review the output of research', task_key: 'research' } }),
    ]);
    expect(state.nodes.research).toBe('waiting');
    const rejected = applyEvents(state, [
      ev('approval.answered', { data: { decision: 'reject' } }),
      ev('execution.failed', { data: { error: 'Rejected: not sourced' } }),
    ]);
    expect(rejected.log.some((l) => l.text === 'Answered: reject')).toBe(true);
    expect(rejected.nodes.research).toBe('failed');
    expect(rejected.error).toBe('Rejected: not sourced');
  });
});

import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MockApi } from '../../test/mockApi';
import { renderWithProviders } from '../../test/render';
import { useSession } from '../auth/session';
import { applyEvents, initialRunState } from './events';
import RunPanel from './RunPanel';

let api: MockApi;
beforeEach(() => {
  api = new MockApi();
  api.install();
  const user = { id: 'u1', email: 'ada@example.org', name: 'Ada', is_admin: false, is_active: true, personal_group_id: 'g1', created_at: '2025-01-01T00:00:00Z' };
  useSession.setState({ status: 'signedIn', user, groupId: 'g1' });
});
afterEach(() => vi.unstubAllGlobals());

describe('a waiting run in the run panel', () => {
  it('says where it waits and opens the approval to answer it', async () => {
    api.approvals = [
      { id: 'ap1', execution_id: 'x1', execution_name: 'Research crew', status: 'pending', question: 'Review the output of research', output: 'Tides **rise**', answers: ['approve', 'reject'], role: 'operator', step_key: null, task_key: 'research', timeout_at: null, on_timeout: 'reject', decision: null, comment: null, reply: null, answered_by: null, timed_out: false, answered_at: null, created_at: '2026-12-04T10:00:00Z' },
    ];
    const state = applyEvents(initialRunState('x1', ['research']), [
      { execution_id: 'x1', seq: 1, type: 'execution.started', ts: '2026-12-04T10:00:00Z', task_key: null, agent_key: null, step_key: null, data: {} },
      { execution_id: 'x1', seq: 2, type: 'execution.waiting', ts: '2026-12-04T10:00:01Z', task_key: 'research', agent_key: null, step_key: null, data: { approval_id: 'ap1', question: 'Review the output of research', task_key: 'research' } },
    ]);
    renderWithProviders(<RunPanel state={state} mode="live" tasks={[{ key: 'research', name: 'Research' }]} agentKeys={[]} canCancel cancelling={false} onCancel={vi.fn()} />);
    expect(screen.getByTestId('run-waiting')).toHaveTextContent('Waiting at research: Review the output of research');
    expect(screen.queryByRole('progressbar', { name: 'Run in progress' })).toBeNull();
    await userEvent.click(screen.getByRole('button', { name: 'Answer' }));
    expect(await screen.findByRole('button', { name: 'Approve' })).toBeInTheDocument();
    expect(screen.getByTestId('approval-output')).toHaveTextContent('Tides rise');
  });
});

/** The approval dialog, the inbox and the navigation badge against the in-memory API. */
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Navigate, Route, Routes } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MockApi } from '../../test/mockApi';
import { renderWithProviders } from '../../test/render';
import type { Approval } from '../api/approvals';
import { useSession } from '../auth/session';
import AppShell from '../shell/AppShell';
import ApprovalDialog from './ApprovalDialog';
import ApprovalsPage from './ApprovalsPage';

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

const approval = (id: string, extra: Partial<Approval> = {}): Approval => ({
  id,
  execution_id: 'exec-1',
  execution_name: 'Research crew',
  status: 'pending',
  question: 'Review the output of research',
  output: '# Findings\n\n- tides rise **13 m**',
  answers: ['approve', 'reject', 'reply'],
  role: 'operator',
  step_key: null,
  task_key: 'research',
  timeout_at: null,
  on_timeout: 'reject',
  decision: null,
  comment: null,
  reply: null,
  answered_by: null,
  timed_out: false,
  answered_at: null,
  created_at: '2026-12-04T10:00:00Z',
  ...extra,
});

let api: MockApi;
beforeEach(() => {
  api = new MockApi();
  api.install();
  const user = { id: 'u1', email: 'ada@example.org', name: 'Ada', is_admin: false, is_active: true, personal_group_id: 'g1', created_at: '2025-01-01T00:00:00Z' };
  useSession.setState({ status: 'signedIn', user, groupId: 'g1' });
});
afterEach(() => vi.unstubAllGlobals());

const answerBody = () => api.requests.find((r) => r.method === 'POST' && r.path.startsWith('/approvals/'))?.body;

describe('ApprovalDialog', () => {
  it('renders the output under review as Markdown and approves with a comment', async () => {
    api.approvals = [approval('ap1')];
    const onAnswered = vi.fn();
    renderWithProviders(<ApprovalDialog approvalId="ap1" onClose={vi.fn()} onAnswered={onAnswered} />);
    const output = await screen.findByTestId('approval-output');
    expect(within(output).getByRole('heading', { name: 'Findings' })).toBeInTheDocument();
    expect(within(output).getByText('13 m').tagName).toBe('STRONG');
    fireEvent.change(screen.getByLabelText('Comment'), { target: { value: 'Looks right' } });
    await userEvent.click(screen.getByRole('button', { name: 'Approve' }));
    await waitFor(() => expect(onAnswered).toHaveBeenCalled());
    expect(answerBody()).toEqual({ decision: 'approve', comment: 'Looks right' });
  });

  it('sends a reply as feedback, and asks for its text first', async () => {
    api.approvals = [approval('ap1')];
    renderWithProviders(<ApprovalDialog approvalId="ap1" onClose={vi.fn()} />);
    await userEvent.click(await screen.findByRole('button', { name: 'Send reply' }));
    expect(screen.getByRole('alert')).toHaveTextContent('Write the reply first');
    expect(answerBody()).toBeUndefined();
    fireEvent.change(screen.getByLabelText('Reply'), { target: { value: 'Cite your sources' } });
    await userEvent.click(screen.getByRole('button', { name: 'Send reply' }));
    await waitFor(() => expect(answerBody()).toEqual({ decision: 'reply', reply: 'Cite your sources' }));
  });

  it('offers only the answers the request allows', async () => {
    api.approvals = [approval('ap1', { answers: ['approve', 'reject'] })];
    renderWithProviders(<ApprovalDialog approvalId="ap1" onClose={vi.fn()} />);
    expect(await screen.findByRole('button', { name: 'Reject' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Send reply' })).toBeNull();
    expect(screen.queryByLabelText('Reply')).toBeNull();
  });

  it('says why a viewer is refused (403)', async () => {
    api.approvals = [approval('ap1', { role: 'editor' })];
    api.overrides.set('POST /approvals/ap1', json(403, { error: { code: 'forbidden', message: 'Not allowed', details: [] } }));
    renderWithProviders(<ApprovalDialog approvalId="ap1" onClose={vi.fn()} />);
    await userEvent.click(await screen.findByRole('button', { name: 'Reject' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('it takes editor or above');
  });

  it('shows that someone answered first (409), then what they answered', async () => {
    api.approvals = [approval('ap1')];
    api.overrides.set('POST /approvals/ap1', json(409, { error: { code: 'approval_answered', message: 'This request was already answered', details: [] } }));
    renderWithProviders(<ApprovalDialog approvalId="ap1" onClose={vi.fn()} />);
    const approve = await screen.findByRole('button', { name: 'Approve' });
    // Someone else answers while the dialog is open: the refetch after the 409 finds it so.
    Object.assign(api.approvals[0], { status: 'rejected', decision: 'reject', comment: 'No', answered_at: '2026-12-04T10:05:00Z' });
    await userEvent.click(approve);
    expect(await screen.findByText(/Already answered/)).toBeInTheDocument();
    expect(await screen.findByTestId('approval-answer')).toHaveTextContent('reject');
    expect(screen.queryByRole('button', { name: 'Approve' })).toBeNull();
  });

  it('says a closed request (its run was cancelled) has nothing left to answer', async () => {
    api.approvals = [approval('ap1', { status: 'closed', answered_at: '2026-12-04T10:05:00Z' })];
    renderWithProviders(<ApprovalDialog approvalId="ap1" onClose={vi.fn()} />);
    expect(await screen.findByTestId('approval-status')).toHaveTextContent('closed (run ended)');
    expect(screen.getByTestId('approval-answer')).toHaveTextContent(/run ended before anyone answered/);
    expect(screen.queryByRole('button', { name: 'Approve' })).toBeNull();
  });
});

describe('ApprovalsPage', () => {
  it('lists pending requests, answers one from the inbox, and shows answered ones on their tab', async () => {
    api.approvals = [approval('ap1'), approval('ap2', { status: 'approved', decision: 'approve', question: 'Old one' })];
    renderWithProviders(
      <Routes>
        <Route path="/approvals/:approvalId?" element={<ApprovalsPage />} />
        <Route path="*" element={<Navigate to="/approvals" replace />} />
      </Routes>,
    );
    const row = await screen.findByTestId('approval-row-ap1');
    expect(screen.queryByTestId('approval-row-ap2')).toBeNull();
    await userEvent.click(within(row).getByRole('button', { name: /Answer/ }));
    await userEvent.click(await screen.findByRole('button', { name: 'Approve' }));
    await waitFor(() => expect(answerBody()).toEqual({ decision: 'approve' }));
    await waitFor(() => expect(screen.queryByTestId('approval-row-ap1')).toBeNull());
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    await userEvent.click(screen.getByRole('tab', { name: 'Answered' }));
    expect(await screen.findByTestId('approval-row-ap2')).toBeInTheDocument();
    expect(screen.getByTestId('approval-row-ap1')).toBeInTheDocument();
  });
});

describe('the navigation badge', () => {
  it("counts the group's pending approvals", async () => {
    api.approvals = [approval('ap1'), approval('ap2'), approval('ap3', { status: 'rejected' })];
    renderWithProviders(<AppShell />);
    expect(await screen.findByRole('link', { name: 'Approvals (2 pending)' })).toBeInTheDocument();
    expect(screen.getByTestId('approvals-badge')).toHaveTextContent('2');
  });
});

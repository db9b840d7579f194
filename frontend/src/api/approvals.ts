/**
 * The approvals API (`/api/v1/approvals`), written by hand from the issue-12 contract while the
 * server routes are not in `schema.ts` yet. Once `npm run generate` knows them, `Approval`,
 * `ApprovalAnswer` and `ApprovalCount` become aliases of the generated `ApprovalRead`,
 * the answer body and the count schema; the functions stay as they are.
 */
import { api } from './client';
import { PAGE_SIZE } from './endpoints';
import type { ApprovalRole, Decision } from './flows';
import type { IsoTime, Page, Uuid } from './types';

export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'replied';
export type ApprovalFilter = 'pending' | 'answered' | 'all';

/** `ApprovalRead`. */
export interface Approval {
  id: Uuid;
  execution_id: Uuid;
  /** The crew's or the flow's name. */
  execution_name: string;
  status: ApprovalStatus;
  question: string;
  /** The output under review, as Markdown. */
  output: string;
  answers: Decision[];
  role: ApprovalRole;
  step_key: string | null;
  task_key: string | null;
  timeout_at: IsoTime | null;
  on_timeout: 'approve' | 'reject';
  decision: Decision | null;
  comment: string | null;
  reply: string | null;
  answered_by: Uuid | null;
  timed_out: boolean;
  answered_at: IsoTime | null;
  created_at: IsoTime;
}

/** The body of `POST /approvals/{id}`: `reply` is required when the decision is `reply`. */
export interface ApprovalAnswer {
  decision: Decision;
  comment?: string;
  reply?: string;
}

/** `GET /approvals/count`. */
export interface ApprovalCount {
  pending: number;
}

export const approvalsApi = {
  list: (status: ApprovalFilter, cursor?: string | null) =>
    api.get<Page<Approval>>('/approvals', { status, cursor: cursor ?? undefined, limit: PAGE_SIZE }),
  count: () => api.get<ApprovalCount>('/approvals/count'),
  get: (id: string) => api.get<Approval>(`/approvals/${id}`),
  answer: (id: string, body: ApprovalAnswer) => api.post<Approval>(`/approvals/${id}`, body),
};

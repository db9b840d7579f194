/**
 * The approvals API (`/api/v1/approvals`): the group's questions of paused runs. The types are
 * aliases of `schema.ts` (see `types.ts`), so the web app cannot drift from the server.
 */
import { api } from './client';
import { PAGE_SIZE } from './endpoints';
import type { components, paths } from './schema';
import type { Page } from './types';

type Schemas = components['schemas'];

/** `ApprovalRead`; `closed` when the run was cancelled before anyone answered. */
export type Approval = Schemas['ApprovalRead'];
export type ApprovalStatus = Schemas['ApprovalStatus'];
export type ApprovalFilter = NonNullable<NonNullable<paths['/api/v1/approvals']['get']['parameters']['query']>['status']>;
/** The body of `POST /approvals/{id}`: `reply` is required when the decision is `reply`. */
export type ApprovalAnswer = Schemas['ApprovalAnswer'];
/** `GET /approvals/count`. */
export type ApprovalCount = Schemas['PendingCount'];

export const approvalsApi = {
  list: (status: ApprovalFilter, cursor?: string | null) =>
    api.get<Page<Approval>>('/approvals', { status, cursor: cursor ?? undefined, limit: PAGE_SIZE }),
  count: () => api.get<ApprovalCount>('/approvals/count'),
  get: (id: string) => api.get<Approval>(`/approvals/${id}`),
  answer: (id: string, body: ApprovalAnswer) => api.post<Approval>(`/approvals/${id}`, body),
};

/**
 * The flows API (`/api/v1/flows`) and starting a flow run, written by hand from the issue-12
 * contract while the server routes are not in `schema.ts` yet. Every name here maps onto one
 * schema of the server: once `npm run generate` knows them, each type below becomes an alias of
 * `components['schemas'][...]` (see the comments) and the functions stay as they are.
 */
import { api } from './client';
import { fetchAll, PAGE_SIZE } from './endpoints';
import type { Execution, IsoTime, Page, Position, Problem, Uuid } from './types';

/** `ConditionOp` of `engine/spec.py`. */
export type ConditionOp = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le' | 'contains' | 'exists' | 'not_exists';
export const CONDITION_OPS: readonly ConditionOp[] = ['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'contains', 'exists', 'not_exists'];

export type Decision = 'approve' | 'reject' | 'reply';
export const DECISIONS: readonly Decision[] = ['approve', 'reject', 'reply'];
export type ApprovalRole = 'operator' | 'editor' | 'admin';

/** `Condition`: a path (`steps.research.json.score`), an operator and a value. */
export interface FlowCondition {
  path: string;
  op: ConditionOp;
  value: string | number | boolean | null;
}

/** `FlowEdge`. */
export interface FlowEdge {
  source: string;
  target: string;
  when?: FlowCondition | null;
  default?: boolean;
  on?: 'approve' | 'reject' | null;
}

/** `ApprovalSettings`. */
export interface ApprovalSettings {
  question: string;
  answers: Decision[];
  timeout_s: number | null;
  on_timeout: 'approve' | 'reject';
  role: ApprovalRole;
}

export type StepKind = 'crew' | 'router' | 'approval';

/** A step of the flow document (`FlowStep` without the resolved crew). */
export interface FlowStep {
  key: string;
  kind: StepKind;
  name: string;
  crew_id?: Uuid | null;
  crew_version?: number | null;
  /** Crew input → `${path}` template. */
  inputs?: Record<string, string>;
  review?: string;
  approval?: ApprovalSettings | null;
}

/** An input of the flow, with its default. */
export interface FlowInput {
  name: string;
  default: string;
}

export interface FlowLayout {
  nodes: Record<string, Position>;
  viewport?: { x: number; y: number; zoom: number };
}

/** `FlowCreate` (and the body of `PUT`, which adds the `version` it started from). */
export interface FlowCreate {
  name: string;
  description: string;
  inputs: FlowInput[];
  steps: FlowStep[];
  edges: FlowEdge[];
  layout: FlowLayout;
}

/** `FlowRead`. `problems` as crews carry them, when the server sends them. */
export interface FlowRead extends FlowCreate {
  id: Uuid;
  version: number;
  created_at: IsoTime;
  updated_at: IsoTime;
  problems?: Problem[];
}

/** An entry of `GET /flows` (the page's items: a summary or the whole document). */
export type FlowSummary = Pick<FlowRead, 'id' | 'name' | 'description' | 'version' | 'created_at' | 'updated_at'>;

/** `GET /flows/{id}/versions`: one saved version, as crews list theirs. */
export interface FlowVersion {
  version: number;
  created_at: IsoTime;
  [extra: string]: unknown;
}

/** `POST /flows/{id}/validate`: the crews' `ValidationReport` shape. */
export interface FlowValidation {
  problems: Problem[];
  [extra: string]: unknown;
}

/** `ExecutionRead` with the contract's `flow_id` (null for a crew's run). */
export type FlowAwareExecution = Execution & { flow_id?: Uuid | null };

export const flowsApi = {
  list: (params: { q?: string; cursor?: string | null } = {}) =>
    api.get<Page<FlowSummary>>('/flows', { q: params.q, cursor: params.cursor ?? undefined, limit: PAGE_SIZE }),
  get: (id: string) => api.get<FlowRead>(`/flows/${id}`),
  create: (doc: FlowCreate) => api.post<FlowRead>('/flows', doc),
  /** 409 when `version` is not the latest any more. */
  save: (id: string, doc: FlowCreate & { version: number }) => api.put<FlowRead>(`/flows/${id}`, doc),
  remove: (id: string) => api.delete(`/flows/${id}`),
  versions: (id: string) => fetchAll<FlowVersion>(`/flows/${id}/versions`),
  version: (id: string, n: number) => api.get<FlowRead>(`/flows/${id}/versions/${n}`),
  restore: (id: string, n: number) => api.post<FlowRead>(`/flows/${id}/versions/${n}/restore`),
  validate: (id: string, doc: FlowCreate) => api.post<FlowValidation>(`/flows/${id}/validate`, doc),
  exportFile: (id: string, format: 'yaml' | 'json') => api.download(`/flows/${id}/export`, { format }),
  importFile: (file: File) => {
    const form = new FormData();
    form.append('file', file, file.name);
    return api.upload<FlowRead>('/flows/import', form);
  },
  /** `POST /executions {"flow_id", "version"?, "inputs"}`. */
  run: (flowId: string, inputs: Record<string, string>, version?: number) =>
    api.post<FlowAwareExecution>('/executions', { flow_id: flowId, inputs, ...(version ? { version } : {}) }),
};

/**
 * The flows API (`/api/v1/flows`) and starting a flow run. The types are aliases of
 * `schema.ts` (see `types.ts`), so the web app cannot drift from the server; fields the
 * server fills with defaults are required in the shapes the editor holds.
 */
import { api } from './client';
import { fetchAll, PAGE_SIZE } from './endpoints';
import type { components } from './schema';
import { approvalAnswerDecisionValues, conditionOpValues } from './schema';
import type { Execution, Page, Position } from './types';

type Schemas = components['schemas'];

export type FlowCondition = Schemas['Condition'];
export type ConditionOp = FlowCondition['op'];
export const CONDITION_OPS: readonly ConditionOp[] = conditionOpValues;

export type Decision = Schemas['ApprovalAnswer']['decision'];
export const DECISIONS: readonly Decision[] = approvalAnswerDecisionValues;

/** Who may answer a pause, what they may answer, and what happens if nobody does. */
export type ApprovalSettings = Required<Schemas['ApprovalSettings']>;
export type ApprovalRole = ApprovalSettings['role'];

export type FlowEdge = Schemas['FlowEdgeBody'];

type StepBody = Schemas['FlowStepBody'];
export type StepKind = StepBody['kind'];
/** A step of the flow document: a crew (`crew_id`, `crew_version` or the latest), a router or an approval. */
export type FlowStep = Omit<StepBody, 'review' | 'approval'> & { review?: string; approval?: ApprovalSettings | null };

export type FlowInput = Schemas['FlowInput'];

export interface FlowLayout {
  nodes: Record<string, Position>;
  viewport?: Schemas['Viewport'];
}

/** The editable document (`FlowCreate`), every field present as the server answers it. */
export type FlowCreate = Omit<Required<Schemas['FlowCreate']>, 'steps' | 'layout'> & { steps: FlowStep[]; layout: FlowLayout };
/** `PUT /flows/{id}`: the document and the version the edit started from (409 when stale). */
export type FlowReplace = FlowCreate & Pick<Schemas['FlowReplace'], 'version'>;
export type FlowRead = FlowCreate & Omit<Schemas['FlowRead'], keyof Schemas['FlowCreate']>;
/** An imported flow, the crews the import saved for its crew steps, and what it left out. */
export type FlowImported = FlowRead & Pick<Schemas['FlowImported'], 'crew_ids' | 'notes'>;
export type FlowSummary = Schemas['FlowSummary'];
export type FlowVersion = Schemas['VersionSummary'];
export type FlowValidation = Schemas['FlowValidationReport'];

export const flowsApi = {
  list: (params: { q?: string; cursor?: string | null } = {}) =>
    api.get<Page<FlowSummary>>('/flows', { q: params.q, cursor: params.cursor ?? undefined, limit: PAGE_SIZE }),
  get: (id: string) => api.get<FlowRead>(`/flows/${id}`),
  create: (doc: FlowCreate) => api.post<FlowRead>('/flows', doc),
  /** 409 when `version` is not the latest any more. */
  save: (id: string, doc: FlowReplace) => api.put<FlowRead>(`/flows/${id}`, doc),
  remove: (id: string) => api.delete(`/flows/${id}`),
  versions: (id: string) => fetchAll<FlowVersion>(`/flows/${id}/versions`),
  version: (id: string, n: number) => api.get<FlowRead>(`/flows/${id}/versions/${n}`),
  restore: (id: string, n: number) => api.post<FlowRead>(`/flows/${id}/versions/${n}/restore`),
  /** The draft as the editor holds it, checked without saving. */
  validate: (id: string, doc: FlowCreate) => api.post<FlowValidation>(`/flows/${id}/validate`, doc),
  exportFile: (id: string, format: 'yaml' | 'json') => api.download(`/flows/${id}/export`, { format }),
  importFile: (file: File) => {
    const form = new FormData();
    form.append('file', file, file.name);
    return api.upload<FlowImported>('/flows/import', form);
  },
  /** `POST /executions {"flow_id", "version"?, "inputs"}`. */
  run: (flowId: string, inputs: Record<string, string>, version?: number) =>
    api.post<Execution>('/executions', { flow_id: flowId, inputs, ...(version ? { version } : {}) }),
};

/**
 * The flow document as the editor changes it. Pure functions: each returns a new document (or
 * the same one when nothing changed), so the store's undo history holds plain snapshots.
 */
import type { ApprovalSettings, FlowCondition, FlowCreate, FlowEdge, FlowRead, FlowStep, StepKind } from '../api/flows';
import type { Position, Problem } from '../api/types';
import { KEY_PATTERN, KEY_RULE } from '../canvas/model';
import type { KeyedProblem } from '../canvas/problems';

export type EditableFlow = FlowCreate;

export const DEFAULT_APPROVAL: ApprovalSettings = {
  question: 'Approve this output?',
  answers: ['approve', 'reject', 'reply'],
  timeout_s: null,
  on_timeout: 'reject',
  role: 'operator',
};

function normalizeStep(s: FlowStep): FlowStep {
  const base: FlowStep = { key: s.key, kind: s.kind, name: s.name ?? '' };
  if (s.kind === 'crew') return { ...base, crew_id: s.crew_id ?? null, crew_version: s.crew_version ?? null, inputs: { ...(s.inputs ?? {}) } };
  if (s.kind === 'approval') return { ...base, review: s.review ?? '', approval: { ...DEFAULT_APPROVAL, ...(s.approval ?? {}) } };
  return base;
}

/** An edge as a draft may hold it: the server's defaults filled in by `normalizeEdge`. */
type DraftEdge = Pick<FlowEdge, 'source' | 'target'> & Partial<FlowEdge>;

function normalizeEdge(e: DraftEdge): FlowEdge {
  return { source: e.source, target: e.target, when: e.when ?? null, default: e.default ?? false, on: e.on ?? null };
}

/** A document from the server (or a draft) in the one shape the editor compares and saves. */
export function toEditable(doc: Partial<Omit<FlowRead, 'edges'>> & Pick<FlowCreate, 'name'> & { edges?: DraftEdge[] }): EditableFlow {
  return {
    name: doc.name,
    description: doc.description ?? '',
    inputs: (doc.inputs ?? []).map((i) => ({ name: i.name, default: i.default ?? '' })),
    steps: (doc.steps ?? []).map(normalizeStep),
    edges: (doc.edges ?? []).map(normalizeEdge),
    layout: { nodes: { ...(doc.layout?.nodes ?? {}) }, ...(doc.layout?.viewport ? { viewport: doc.layout.viewport } : {}) },
  };
}

export const emptyFlow = (name = ''): EditableFlow => toEditable({ name });

/** What `PUT /flows/{id}` takes: the document and the version it started from. */
export function toSavePayload(doc: EditableFlow, version: number): EditableFlow & { version: number } {
  return { ...doc, version };
}

export const edgeId = (e: Pick<FlowEdge, 'source' | 'target'>) => `${e.source}->${e.target}`;

export function parseEdgeId(id: string): { source: string; target: string } | null {
  const at = id.indexOf('->');
  return at > 0 ? { source: id.slice(0, at), target: id.slice(at + 2) } : null;
}

const KIND_PREFIX: Record<StepKind, string> = { crew: 'crew', router: 'router', approval: 'approval' };
const KIND_NAME: Record<StepKind, string> = { crew: 'Crew step', router: 'Router', approval: 'Approval' };

export function uniqueKey(doc: EditableFlow, prefix: string): string {
  const taken = new Set(doc.steps.map((s) => s.key));
  for (let i = 1; ; i += 1) if (!taken.has(`${prefix}_${i}`)) return `${prefix}_${i}`;
}

/** Under the lowest node, so a new step lands where the user can see it. */
export function nextPosition(doc: EditableFlow): Position {
  const all = Object.values(doc.layout.nodes);
  if (all.length === 0) return { x: 0, y: 0 };
  const lowest = all.reduce((a, b) => (b.y > a.y ? b : a));
  return { x: lowest.x, y: lowest.y + 160 };
}

export function addStep(doc: EditableFlow, kind: StepKind, position = nextPosition(doc)): { doc: EditableFlow; key: string } {
  const key = uniqueKey(doc, KIND_PREFIX[kind]);
  const step = normalizeStep({ key, kind, name: KIND_NAME[kind] });
  return { key, doc: { ...doc, steps: [...doc.steps, step], layout: { ...doc.layout, nodes: { ...doc.layout.nodes, [key]: position } } } };
}

export function updateStep(doc: EditableFlow, key: string, patch: Partial<Omit<FlowStep, 'key' | 'kind'>>): EditableFlow {
  return { ...doc, steps: doc.steps.map((s) => (s.key === key ? { ...s, ...patch } : s)) };
}

/** A new key for a step: its edges and its place on the canvas follow (templates are the user's). */
export function renameStep(doc: EditableFlow, from: string, to: string): EditableFlow {
  if (from === to || doc.steps.some((s) => s.key === to)) return doc;
  const nodes = { ...doc.layout.nodes };
  if (nodes[from]) {
    nodes[to] = nodes[from];
    delete nodes[from];
  }
  const swap = (k: string) => (k === from ? to : k);
  return {
    ...doc,
    steps: doc.steps.map((s) => (s.key === from ? { ...s, key: to } : s)),
    edges: doc.edges.map((e) => ({ ...e, source: swap(e.source), target: swap(e.target) })),
    layout: { ...doc.layout, nodes },
  };
}

export function removeSteps(doc: EditableFlow, keys: string[]): EditableFlow {
  if (keys.length === 0) return doc;
  const gone = new Set(keys);
  const nodes = { ...doc.layout.nodes };
  for (const k of keys) delete nodes[k];
  return {
    ...doc,
    steps: doc.steps.filter((s) => !gone.has(s.key)),
    edges: doc.edges.filter((e) => !gone.has(e.source) && !gone.has(e.target)),
    layout: { ...doc.layout, nodes },
  };
}

export function moveSteps(doc: EditableFlow, positions: Record<string, Position>): EditableFlow {
  return { ...doc, layout: { ...doc.layout, nodes: { ...doc.layout.nodes, ...positions } } };
}

export function checkConnection(doc: EditableFlow, source: string | null, target: string | null): { ok: boolean; reason?: string } {
  if (!source || !target) return { ok: false };
  if (source === target) return { ok: false, reason: 'A step cannot follow itself' };
  if (doc.edges.some((e) => e.source === source && e.target === target)) return { ok: false, reason: 'Already connected' };
  return { ok: true };
}

/**
 * A new edge. Out of a router, the first one is its default; out of an approval, the first
 * takes `approve` and the next `reject`, as most reviews go.
 */
export function connect(doc: EditableFlow, source: string, target: string): EditableFlow {
  if (!checkConnection(doc, source, target).ok) return doc;
  const kind = doc.steps.find((s) => s.key === source)?.kind;
  const out = doc.edges.filter((e) => e.source === source);
  const edge: FlowEdge = { source, target, when: null, default: false, on: null };
  if (kind === 'router' && !out.some((e) => e.default)) edge.default = true;
  if (kind === 'approval') edge.on = out.some((e) => e.on === 'approve') ? 'reject' : 'approve';
  return { ...doc, edges: [...doc.edges, edge] };
}

export function updateEdge(doc: EditableFlow, id: string, patch: Partial<Omit<FlowEdge, 'source' | 'target'>>): EditableFlow {
  return {
    ...doc,
    edges: doc.edges.map((e) => {
      if (edgeId(e) !== id) return e;
      const next = { ...e, ...patch };
      // A router's default edge and a conditioned one are two different things.
      if (patch.default) next.when = null;
      if (patch.when) next.default = false;
      return next;
    }),
  };
}

export function removeEdges(doc: EditableFlow, ids: string[]): EditableFlow {
  if (ids.length === 0) return doc;
  const gone = new Set(ids);
  return { ...doc, edges: doc.edges.filter((e) => !gone.has(edgeId(e))) };
}

/** A condition's value as typed: numbers and booleans as such (`7` compares with `ge`). */
export function parseValue(text: string): string | number | boolean | null {
  const t = text.trim();
  if (t === '') return null;
  if (t === 'true' || t === 'false') return t === 'true';
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  return text;
}

export function conditionLabel(c: FlowCondition): string {
  if (c.op === 'exists' || c.op === 'not_exists') return `${c.path} ${c.op.replace('_', ' ')}`;
  return `${c.path} ${c.op} ${JSON.stringify(c.value)}`;
}

export function edgeLabel(e: FlowEdge): string | undefined {
  if (e.when) return conditionLabel(e.when);
  if (e.default) return 'default';
  if (e.on) return e.on;
  return undefined;
}

/** The flow's inputs for the run dialog: names, and defaults where set. */
export function runInputs(doc: EditableFlow): { names: string[]; defaults: Record<string, string> } {
  return {
    names: doc.inputs.map((i) => i.name).filter(Boolean),
    defaults: Object.fromEntries(doc.inputs.filter((i) => i.default).map((i) => [i.name, i.default])),
  };
}

// ---- problems ----------------------------------------------------------------------------

/** A pointer such as `/steps/2/crew_id` or `/edges/0/when` resolved to the step or edge it names. */
export function resolveFlowPointer(doc: EditableFlow, pointer: string): { key: string | null; field: string | null } {
  const [collection, ref, field] = pointer.split('/').slice(1);
  if (collection === 'steps' && ref !== undefined) {
    const step = /^\d+$/.test(ref) ? doc.steps[Number(ref)] : doc.steps.find((s) => s.key === ref);
    if (step) return { key: step.key, field: field ?? null };
  }
  if (collection === 'edges' && ref !== undefined && /^\d+$/.test(ref)) {
    const edge = doc.edges[Number(ref)];
    if (edge) return { key: edgeId(edge), field: field ?? null };
  }
  return { key: null, field: collection ?? null };
}

export function keyFlowProblems(doc: EditableFlow, problems: Problem[] | undefined): KeyedProblem[] {
  return (problems ?? []).map((p) => ({ ...p, ...resolveFlowPointer(doc, p.pointer) }));
}

/** Codes checked here as well as on the server (flows/validation.py names them alike). */
export const FLOW_LOCAL_CODES = new Set(['no_steps', 'duplicate_key', 'invalid_key', 'missing_crew', 'router_without_default', 'empty_question']);

export function localFlowProblems(doc: EditableFlow): KeyedProblem[] {
  const out: KeyedProblem[] = [];
  const add = (key: string | null, field: string | null, pointer: string, code: string, message: string) =>
    out.push({ key, field, pointer, code, message, severity: 'error' });
  if (doc.steps.length === 0) add(null, 'steps', '/steps', 'no_steps', 'The flow has no steps: add at least one.');
  const seen = new Set<string>();
  doc.steps.forEach((s, i) => {
    const p = `/steps/${i}`;
    if (seen.has(s.key)) add(s.key, 'key', `${p}/key`, 'duplicate_key', `Key "${s.key}" is used twice`);
    seen.add(s.key);
    if (!KEY_PATTERN.test(s.key)) add(s.key, 'key', `${p}/key`, 'invalid_key', KEY_RULE);
    if (s.kind === 'crew' && !s.crew_id) add(s.key, 'crew_id', `${p}/crew_id`, 'missing_crew', 'Pick the crew this step runs');
    if (s.kind === 'router' && !doc.edges.some((e) => e.source === s.key && e.default))
      add(s.key, null, p, 'router_without_default', 'A router needs a default edge, taken when no condition holds');
    if (s.kind === 'approval' && !s.approval?.question.trim())
      add(s.key, 'approval', `${p}/approval/question`, 'empty_question', 'The approval needs a question');
  });
  return out;
}

/**
 * Pure operations on a crew document, the single source of truth of the canvas.
 * Every function returns a new document (or the same one when nothing changes), so undo/redo is a
 * stack of snapshots and React can compare by reference.
 */
import { patterns } from '../api/schema';
import type { Agent, CrewDocument, MemoryScope, Position, Task, ToolRef } from '../api/types';

export type NodeKind = 'agent' | 'task';

/** The editable part of a crew document: what undo/redo and "unsaved changes" are about. */
export type EditableCrew = Omit<CrewDocument, 'id' | 'version' | 'edges' | 'inputs' | 'problems' | 'created_at' | 'updated_at'>;

/** The server's rule for agent and task keys (the same for both). */
export const KEY_PATTERN = new RegExp(patterns['CrewAgent.key']);
export const KEY_RULE = 'Letters, digits, - and _ only (at most 64)';

export function toEditable(doc: CrewDocument): EditableCrew {
  // Fields this client does not know (a newer server's) are kept and sent back unchanged.
  const { id: _id, version: _v, edges: _e, inputs: _i, problems: _p, created_at: _c, updated_at: _u, ...rest } = doc;
  return {
    ...rest,
    name: doc.name,
    description: doc.description ?? '',
    process: doc.process ?? 'sequential',
    manager_llm: doc.manager_llm ?? null,
    planning: Boolean(doc.planning),
    memory: memoryScope(doc.memory),
    embedder: doc.embedder ?? null,
    max_rpm: doc.max_rpm ?? null,
    verbose: Boolean(doc.verbose),
    agents: (doc.agents ?? []).map((a) => normalizeAgent(a)),
    tasks: (doc.tasks ?? []).map((t) => normalizeTask(t)),
    layout: {
      nodes: { ...(doc.layout?.nodes ?? {}) },
      viewport: doc.layout?.viewport ?? { x: 0, y: 0, zoom: 1 },
    },
  };
}

/** Documents from before memory scopes said true/false: the run's own memory, or none. */
function memoryScope(value: MemoryScope | boolean | undefined): MemoryScope {
  if (typeof value === 'boolean') return value ? 'run' : 'off';
  return value ?? 'off';
}

/** An agent with every field set. `strict` drops fields this client does not know. */
export function normalizeAgent(a: Partial<Agent> & { key: string }, strict = false): Agent {
  return {
    ...(strict ? {} : a),
    key: a.key,
    role: a.role ?? '',
    goal: a.goal ?? '',
    backstory: a.backstory ?? '',
    llm: a.llm ?? null,
    tools: (a.tools ?? []).map(normalizeToolRef),
    knowledge: [...(a.knowledge ?? [])],
    allow_delegation: Boolean(a.allow_delegation),
    max_iter: a.max_iter ?? 20,
    max_rpm: a.max_rpm ?? null,
    max_execution_time: a.max_execution_time ?? null,
    reasoning: Boolean(a.reasoning),
    verbose: Boolean(a.verbose),
  };
}

/** A task with every field set. `strict` drops fields this client does not know. */
export function normalizeTask(t: Partial<Task> & { key: string }, strict = false): Task {
  return {
    ...(strict ? {} : t),
    key: t.key,
    name: t.name ?? '',
    description: t.description ?? '',
    expected_output: t.expected_output ?? '',
    agent: t.agent ?? null,
    context: [...(t.context ?? [])],
    tools: (t.tools ?? []).map(normalizeToolRef),
    async_execution: Boolean(t.async_execution),
    output_format: t.output_format === 'json' ? 'json' : 'text',
    output_schema: t.output_schema ?? null,
    markdown: Boolean(t.markdown),
    human_input: Boolean(t.human_input),
    approval: t.approval ?? null,
    output_file: t.output_file ?? null,
  };
}

function normalizeToolRef(t: ToolRef | string): ToolRef {
  return typeof t === 'string' ? { tool_id: t, config: {} } : { tool_id: t.tool_id, config: { ...(t.config ?? {}) } };
}

export function allKeys(doc: EditableCrew): Set<string> {
  return new Set([...doc.agents.map((a) => a.key), ...doc.tasks.map((t) => t.key)]);
}

export function kindOf(doc: EditableCrew, key: string): NodeKind | null {
  if (doc.agents.some((a) => a.key === key)) return 'agent';
  if (doc.tasks.some((t) => t.key === key)) return 'task';
  return null;
}

/** `agent-3`: the first free number for the prefix (agents and tasks share one key space). */
export function uniqueKey(doc: EditableCrew, prefix: string): string {
  const used = allKeys(doc);
  const base = prefix.replace(/[^a-z0-9_-]+/gi, '-').toLowerCase().replace(/^-+|-+$/g, '') || 'node';
  for (let n = 1; ; n += 1) {
    const key = `${base}-${n}`;
    if (!used.has(key)) return key;
  }
}

/** Where a new node goes when none is given: below the lowest node of its column. */
export function freePosition(doc: EditableCrew, kind: NodeKind): Position {
  const x = kind === 'agent' ? 0 : 320;
  const ys = Object.values(doc.layout.nodes)
    .filter((p) => Math.abs(p.x - x) < 160)
    .map((p) => p.y);
  return { x, y: ys.length ? Math.max(...ys) + 180 : 0 };
}

/** A rectangle in flow coordinates, such as the part of the canvas on screen. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The part of the flow on screen: a pane of `width` × `height` pixels under React Flow's
 * `[x, y, zoom]` transform; null before the pane is measured. */
export function visibleRect(width: number, height: number, [tx, ty, zoom]: readonly [number, number, number]): Rect | null {
  if (!width || !height || !zoom) return null;
  return { x: -tx / zoom, y: -ty / zoom, width: width / zoom, height: height / zoom };
}

/** A node's size before React Flow has measured it (agent and task cards are 240 wide). */
export const NODE_SIZE = { width: 240, height: 110 };
const GAP = 24;

/**
 * Where a new node goes so that the user sees it land: inside `view`, the visible part of the
 * canvas. Dropped at `at`, its corner is at the pointer, pulled in from the edges; added
 * from the palette, it takes the first free slot from the middle of the view, so it does not
 * cover a node already there. `freePosition` (below the lowest node of its column) is where
 * a node goes when there is no view to place it in, and in a long crew that is off-screen.
 */
export function placeInView(doc: EditableCrew, view: Rect, at?: Position, measured: Record<string, { width: number; height: number }> = {}): Position {
  const { width, height } = NODE_SIZE;
  const clamp = (p: Position): Position => ({
    x: Math.max(view.x + GAP, Math.min(p.x, view.x + view.width - width - GAP)),
    y: Math.max(view.y + GAP, Math.min(p.y, view.y + view.height - height - GAP)),
  });
  if (at) return clamp(at);
  const start = clamp({ x: view.x + (view.width - width) / 2, y: view.y + (view.height - height) / 2 });
  const taken = Object.entries(doc.layout.nodes).map(([key, p]) => ({ ...p, ...(measured[key] ?? NODE_SIZE) }));
  const inside = (p: Position) => {
    const c = clamp(p);
    return c.x === p.x && c.y === p.y;
  };
  const free = (p: Position) =>
    taken.every((n) => p.x + width + GAP <= n.x || n.x + n.width + GAP <= p.x || p.y + height + GAP <= n.y || n.y + n.height + GAP <= p.y);
  const steps = { x: width + GAP, y: height + GAP };
  const columns = Math.max(1, Math.floor((view.width - GAP) / steps.x));
  const rows = Math.max(1, Math.floor((view.height - GAP) / steps.y));
  for (let ring = 0; ring <= Math.max(columns, rows); ring += 1) {
    for (let dy = -ring; dy <= ring; dy += 1) {
      for (let dx = -ring; dx <= ring; dx += 1) {
        if (Math.max(Math.abs(dx), Math.abs(dy)) !== ring) continue;
        const candidate = { x: start.x + dx * steps.x, y: start.y + dy * steps.y };
        if (inside(candidate) && free(candidate)) return candidate;
      }
    }
  }
  return start; // a full view: on top of the middle, still where the user is looking
}

export function addAgent(
  doc: EditableCrew,
  fields: Partial<Omit<Agent, 'key'>> = {},
  position?: Position,
): { doc: EditableCrew; key: string } {
  const key = uniqueKey(doc, 'agent');
  const agent = normalizeAgent({ role: 'New agent', ...fields, key }, true);
  return {
    key,
    doc: {
      ...doc,
      agents: [...doc.agents, agent],
      layout: { ...doc.layout, nodes: { ...doc.layout.nodes, [key]: position ?? freePosition(doc, 'agent') } },
    },
  };
}

export function addTask(
  doc: EditableCrew,
  fields: Partial<Omit<Task, 'key'>> = {},
  position?: Position,
): { doc: EditableCrew; key: string } {
  const key = uniqueKey(doc, 'task');
  const task = normalizeTask({ name: 'New task', ...fields, agent: null, context: [], key }, true);
  return {
    key,
    doc: {
      ...doc,
      tasks: [...doc.tasks, task],
      layout: { ...doc.layout, nodes: { ...doc.layout.nodes, [key]: position ?? freePosition(doc, 'task') } },
    },
  };
}

export function updateAgent(doc: EditableCrew, key: string, patch: Partial<Agent>): EditableCrew {
  const next = { ...doc, agents: doc.agents.map((a) => (a.key === key ? { ...a, ...patch, key } : a)) };
  return patch.key && patch.key !== key ? renameKey(next, key, patch.key) : next;
}

export function updateTask(doc: EditableCrew, key: string, patch: Partial<Task>): EditableCrew {
  const next = { ...doc, tasks: doc.tasks.map((t) => (t.key === key ? { ...t, ...patch, key } : t)) };
  return patch.key && patch.key !== key ? renameKey(next, key, patch.key) : next;
}

/** Rename a node and every reference to it (assignments, context, layout). */
export function renameKey(doc: EditableCrew, from: string, to: string): EditableCrew {
  if (from === to) return doc;
  const nodes = { ...doc.layout.nodes };
  if (nodes[from]) {
    nodes[to] = nodes[from];
    delete nodes[from];
  }
  return {
    ...doc,
    agents: doc.agents.map((a) => (a.key === from ? { ...a, key: to } : a)),
    tasks: doc.tasks.map((t) => ({
      ...t,
      key: t.key === from ? to : t.key,
      agent: t.agent === from ? to : t.agent,
      context: t.context.map((c) => (c === from ? to : c)),
    })),
    layout: { ...doc.layout, nodes },
  };
}

export function updateSettings(doc: EditableCrew, patch: Partial<EditableCrew>): EditableCrew {
  return { ...doc, ...patch };
}

/** Whether `target` (a task) already depends on `source` through context, directly or not. */
function contextReaches(doc: EditableCrew, from: string, to: string): boolean {
  const byKey = new Map(doc.tasks.map((t) => [t.key, t]));
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length) {
    const key = stack.pop()!;
    if (key === to) return true;
    if (seen.has(key)) continue;
    seen.add(key);
    stack.push(...(byKey.get(key)?.context ?? []));
  }
  return false;
}

export type ConnectionCheck = { ok: true } | { ok: false; reason: string };

export function checkConnection(doc: EditableCrew, source: string, target: string): ConnectionCheck {
  if (source === target) return { ok: false, reason: 'A node cannot connect to itself' };
  const s = kindOf(doc, source);
  const t = kindOf(doc, target);
  if (!s || !t) return { ok: false, reason: 'Unknown node' };
  if (t !== 'task') return { ok: false, reason: 'Connections end at a task' };
  if (s === 'task') {
    const task = doc.tasks.find((x) => x.key === target)!;
    if (task.context.includes(source)) return { ok: false, reason: 'Already connected' };
    // target would use source's output: refuse if source already (indirectly) uses target's.
    if (contextReaches(doc, source, target)) return { ok: false, reason: 'That would make a cycle' };
  }
  return { ok: true };
}

/** agent→task assigns the task; task→task makes the target use the source's output. */
export function connect(doc: EditableCrew, source: string, target: string): EditableCrew {
  if (!checkConnection(doc, source, target).ok) return doc;
  const sourceKind = kindOf(doc, source);
  return {
    ...doc,
    tasks: doc.tasks.map((t) => {
      if (t.key !== target) return t;
      return sourceKind === 'agent' ? { ...t, agent: source } : { ...t, context: [...t.context, source] };
    }),
  };
}

export function edgeId(source: string, target: string): string {
  return `${source}->${target}`;
}

export function parseEdgeId(id: string): { source: string; target: string } | null {
  const i = id.indexOf('->');
  if (i < 0) return null;
  return { source: id.slice(0, i), target: id.slice(i + 2) };
}

export function disconnect(doc: EditableCrew, source: string, target: string): EditableCrew {
  let changed = false;
  const tasks = doc.tasks.map((t) => {
    if (t.key !== target) return t;
    if (t.agent === source) {
      changed = true;
      return { ...t, agent: null };
    }
    if (t.context.includes(source)) {
      changed = true;
      return { ...t, context: t.context.filter((c) => c !== source) };
    }
    return t;
  });
  return changed ? { ...doc, tasks } : doc;
}

export function removeNodes(doc: EditableCrew, keys: Iterable<string>): EditableCrew {
  const gone = new Set(keys);
  if (gone.size === 0) return doc;
  const nodes = { ...doc.layout.nodes };
  for (const k of gone) delete nodes[k];
  return {
    ...doc,
    agents: doc.agents.filter((a) => !gone.has(a.key)),
    tasks: doc.tasks
      .filter((t) => !gone.has(t.key))
      .map((t) => ({
        ...t,
        agent: t.agent && gone.has(t.agent) ? null : t.agent,
        context: t.context.filter((c) => !gone.has(c)),
      })),
    layout: { ...doc.layout, nodes },
  };
}

export function moveNodes(doc: EditableCrew, positions: Record<string, Position>): EditableCrew {
  return { ...doc, layout: { ...doc.layout, nodes: { ...doc.layout.nodes, ...positions } } };
}

export interface DerivedEdge {
  id: string;
  source: string;
  target: string;
  kind: 'assignment' | 'context';
}

/** The edges as the server derives them: from task.agent and task.context. */
export function deriveEdges(doc: EditableCrew): DerivedEdge[] {
  const keys = allKeys(doc);
  const edges: DerivedEdge[] = [];
  for (const t of doc.tasks) {
    if (t.agent && keys.has(t.agent)) edges.push({ id: edgeId(t.agent, t.key), source: t.agent, target: t.key, kind: 'assignment' });
    for (const c of t.context) {
      if (keys.has(c)) edges.push({ id: edgeId(c, t.key), source: c, target: t.key, kind: 'context' });
    }
  }
  return edges;
}

/** `{placeholders}` used in the crew's texts, in order of first use.
 *
 * The server's rule (`kasal.engine.validate.PLACEHOLDER`), which is CrewAI's own: names
 * may contain `-`, and `{{name}}` is a placeholder too, since CrewAI has no escape. */
export function deriveInputs(doc: EditableCrew): string[] {
  const found: string[] = [];
  const texts: string[] = [];
  for (const a of doc.agents) texts.push(a.role, a.goal, a.backstory);
  for (const t of doc.tasks) texts.push(t.description, t.expected_output, t.output_file ?? '');
  for (const text of texts) {
    for (const m of text.matchAll(/\{([A-Za-z_][A-Za-z0-9_-]*)\}/g)) {
      if (!found.includes(m[1])) found.push(m[1]);
    }
  }
  return found;
}

/** The document to send with PUT: the editable fields plus the version it was based on. */
export function toSavePayload(doc: EditableCrew, version: number): CrewDocument {
  return { ...doc, version, edges: deriveEdges(doc) };
}

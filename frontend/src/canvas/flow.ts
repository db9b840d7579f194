/** Crew document → React Flow nodes and edges (one way: edits go through model.ts). */
import { MarkerType, type Edge, type Node } from '@xyflow/react';
import type { Agent, Model, Task } from '../api/types';
import type { NodeRunState } from '../run/events';
import { deriveEdges, type EditableCrew } from './model';
import type { KeyedProblem } from './problems';
import type { Selection } from './store';

export interface AgentNodeData extends Record<string, unknown> {
  kind: 'agent';
  item: Agent;
  modelLabel: string | null;
  modelWarning: string | null;
  problems: KeyedProblem[];
  runState: NodeRunState | null;
}

export interface TaskNodeData extends Record<string, unknown> {
  kind: 'task';
  item: Task;
  index: number;
  problems: KeyedProblem[];
  runState: NodeRunState | null;
  agentRole: string | null;
}

export type AgentFlowNode = Node<AgentNodeData, 'agent'>;
export type TaskFlowNode = Node<TaskNodeData, 'task'>;
export type CrewFlowNode = AgentFlowNode | TaskFlowNode;

export interface FlowExtras {
  selection?: Selection;
  measured?: Record<string, { width: number; height: number }>;
  problems?: Map<string | null, KeyedProblem[]>;
  runStates?: Record<string, NodeRunState> | null;
  models?: Model[];
}

export function modelInfo(llm: string | null, models: Model[] | undefined): { label: string | null; warning: string | null } {
  if (!llm) return { label: null, warning: null };
  const m = models?.find((x) => x.key === llm);
  if (!m) return { label: llm, warning: models ? 'unknown model' : null };
  const label = m.provider === 'demo' ? 'Demo (offline)' : m.label;
  if (!m.enabled) return { label, warning: 'disabled' };
  if (!m.has_key && m.provider !== 'demo' && m.provider !== 'ollama') return { label, warning: 'no API key' };
  return { label, warning: null };
}

export function toFlowNodes(doc: EditableCrew, extras: FlowExtras = {}): CrewFlowNode[] {
  const selected = new Set(extras.selection?.nodes ?? []);
  const pos = (key: string, fallback: { x: number; y: number }) => doc.layout.nodes[key] ?? fallback;
  const agentRoles = new Map(doc.agents.map((a) => [a.key, a.role]));
  const agents: AgentFlowNode[] = doc.agents.map((a, i) => {
    const info = modelInfo(a.llm, extras.models);
    return {
      id: a.key,
      type: 'agent',
      ariaLabel: `Agent ${a.role || a.key}`,
      position: pos(a.key, { x: 0, y: i * 180 }),
      selected: selected.has(a.key),
      measured: extras.measured?.[a.key],
      data: {
        kind: 'agent',
        item: a,
        modelLabel: info.label,
        modelWarning: info.warning,
        problems: extras.problems?.get(a.key) ?? [],
        runState: extras.runStates?.[a.key] ?? null,
      },
    };
  });
  const tasks: TaskFlowNode[] = doc.tasks.map((t, i) => ({
    id: t.key,
    type: 'task',
    ariaLabel: `Task ${t.name || t.key}`,
    position: pos(t.key, { x: 340, y: i * 180 }),
    selected: selected.has(t.key),
    measured: extras.measured?.[t.key],
    data: {
      kind: 'task',
      item: t,
      index: i,
      problems: extras.problems?.get(t.key) ?? [],
      runState: extras.runStates?.[t.key] ?? null,
      agentRole: t.agent ? (agentRoles.get(t.agent) ?? null) : null,
    },
  }));
  return [...agents, ...tasks];
}

export function toFlowEdges(doc: EditableCrew, selection?: Selection): Edge[] {
  const selected = new Set(selection?.edges ?? []);
  return deriveEdges(doc).map((e) => ({
    id: e.id,
    source: e.source,
    target: e.target,
    selected: selected.has(e.id),
    data: { kind: e.kind },
    ariaLabel: e.kind === 'assignment' ? `${e.source} does ${e.target}` : `${e.target} uses output of ${e.source}`,
    markerEnd: { type: MarkerType.ArrowClosed },
    style: e.kind === 'context' ? { strokeDasharray: '6 4' } : undefined,
    label: e.kind === 'context' ? 'context' : undefined,
  }));
}

/** Flow document → React Flow nodes and edges (one way: edits go through model.ts). */
import { MarkerType, type Edge } from '@xyflow/react';
import type { KeyedProblem } from '../canvas/problems';
import type { Selection } from '../canvas/store';
import type { NodeRunState } from '../run/events';
import { edgeId, edgeLabel, type EditableFlow } from './model';
import type { StepFlowNode } from './nodes';

export function toStepNodes(
  doc: EditableFlow,
  extras: { selection: Selection; problems: Map<string | null, KeyedProblem[]>; runStates: Record<string, NodeRunState> | null; crewNames: Map<string, string> },
): StepFlowNode[] {
  const selected = new Set(extras.selection.nodes);
  return doc.steps.map((s, i) => ({
    id: s.key,
    type: s.kind,
    ariaLabel: `${s.kind} step ${s.name || s.key}`,
    position: doc.layout.nodes[s.key] ?? { x: 0, y: i * 160 },
    selected: selected.has(s.key),
    data: {
      step: s,
      crewName: s.crew_id ? (extras.crewNames.get(s.crew_id) ?? null) : null,
      problems: extras.problems.get(s.key) ?? [],
      runState: extras.runStates?.[s.key] ?? null,
    },
  }));
}

export function toStepEdges(doc: EditableFlow, selection: Selection, problems: Map<string | null, KeyedProblem[]>, errorColor: string): Edge[] {
  const selected = new Set(selection.edges);
  return doc.edges.map((e) => {
    const id = edgeId(e);
    const label = edgeLabel(e);
    const wrong = problems.get(id) ?? [];
    return {
      id,
      source: e.source,
      target: e.target,
      selected: selected.has(id),
      label: wrong.length ? `⚠ ${label ?? ''}`.trim() : label,
      ariaLabel: `${e.source} to ${e.target}${label ? ` (${label})` : ''}${wrong.length ? `: ${wrong.map((p) => p.message).join('; ')}` : ''}`,
      markerEnd: { type: MarkerType.ArrowClosed },
      style: wrong.length ? { stroke: errorColor } : e.on === 'reject' ? { strokeDasharray: '6 4' } : undefined,
    };
  });
}

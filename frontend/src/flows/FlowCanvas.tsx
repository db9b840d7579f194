import { useTheme } from '@mui/material/styles';
import {
  Background,
  Controls,
  MiniMap,
  ReactFlow,
  type Connection,
  type Edge,
  type EdgeChange,
  type IsValidConnection,
  type NodeChange,
  type Viewport,
} from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { useCallback, useMemo, useState } from 'react';
import { problemsByKey, type KeyedProblem } from '../canvas/problems';
import type { NodeRunState } from '../run/events';
import { toStepEdges, toStepNodes } from './flow';
import { checkConnection, connect, moveSteps, removeEdges, removeSteps } from './model';
import type { StepFlowNode } from './nodes';
import { stepNodeTypes } from './nodeTypes';
import { selectFlow, useFlowEditor } from './store';

interface Props {
  readOnly: boolean;
  problems: KeyedProblem[];
  runStates: Record<string, NodeRunState> | null;
  crewNames: Map<string, string>;
  onViewport: (viewport: Viewport) => void;
}

export default function FlowCanvas({ readOnly, problems, runStates, crewNames, onViewport }: Props) {
  const theme = useTheme();
  const doc = useFlowEditor(selectFlow);
  const selection = useFlowEditor((s) => s.selection);
  const [fitOnOpen] = useState(() => doc.steps.length > 0);
  const problemMap = useMemo(() => problemsByKey(problems), [problems]);
  const nodes = useMemo(() => toStepNodes(doc, { selection, problems: problemMap, runStates, crewNames }), [doc, selection, problemMap, runStates, crewNames]);
  const edges = useMemo(() => toStepEdges(doc, selection, problemMap, theme.palette.error.main), [doc, selection, problemMap, theme.palette.error.main]);

  const onNodesChange = useCallback((changes: NodeChange<StepFlowNode>[]) => {
    const store = useFlowEditor.getState();
    const positions: Record<string, { x: number; y: number }> = {};
    let dragEnded = false;
    let selected: Set<string> | null = null;
    for (const change of changes) {
      if (change.type === 'position') {
        if (change.position) positions[change.id] = change.position;
        if (change.dragging === false) dragEnded = true;
      }
      if (change.type === 'select') {
        selected ??= new Set(store.selection.nodes);
        if (change.selected) selected.add(change.id);
        else selected.delete(change.id);
      }
    }
    if (Object.keys(positions).length) {
      store.beginTransient();
      store.applyTransient((d) => moveSteps(d, positions));
    }
    if (dragEnded) store.endTransient();
    if (selected) store.select({ nodes: [...selected], edges: useFlowEditor.getState().selection.edges });
  }, []);

  const onEdgesChange = useCallback((changes: EdgeChange[]) => {
    let selected: Set<string> | null = null;
    for (const change of changes) {
      if (change.type === 'select') {
        selected ??= new Set(useFlowEditor.getState().selection.edges);
        if (change.selected) selected.add(change.id);
        else selected.delete(change.id);
      }
    }
    if (selected) useFlowEditor.getState().select({ nodes: useFlowEditor.getState().selection.nodes, edges: [...selected] });
  }, []);

  const onDelete = useCallback(
    ({ nodes: gone, edges: goneEdges }: { nodes: StepFlowNode[]; edges: Edge[] }) => {
      if (readOnly) return;
      useFlowEditor.getState().apply((d) => removeSteps(removeEdges(d, goneEdges.map((e) => e.id)), gone.map((n) => n.id)));
      useFlowEditor.getState().select({ nodes: [], edges: [] });
    },
    [readOnly],
  );

  const onConnect = useCallback((c: Connection) => useFlowEditor.getState().apply((d) => connect(d, c.source, c.target)), []);
  const isValidConnection: IsValidConnection = useCallback(
    (c) => checkConnection(useFlowEditor.getState().history.present, c.source, c.target).ok,
    [],
  );

  return (
    <ReactFlow<StepFlowNode, Edge>
      nodes={nodes}
      edges={edges}
      nodeTypes={stepNodeTypes}
      onNodesChange={onNodesChange}
      onEdgesChange={onEdgesChange}
      onDelete={onDelete}
      onConnect={onConnect}
      isValidConnection={isValidConnection}
      onMoveEnd={(_, viewport) => onViewport(viewport)}
      nodesDraggable={!readOnly}
      nodesConnectable={!readOnly}
      deleteKeyCode={readOnly ? null : ['Delete', 'Backspace']}
      colorMode={theme.palette.mode}
      fitView={fitOnOpen}
      fitViewOptions={{ maxZoom: 1, padding: 0.2 }}
      minZoom={0.2}
      proOptions={{ hideAttribution: true }}
      aria-label="Flow canvas"
    >
      <Background />
      <Controls aria-label="Canvas zoom controls" />
      <MiniMap pannable zoomable aria-label="Canvas overview" />
    </ReactFlow>
  );
}

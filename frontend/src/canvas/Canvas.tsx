import { useTheme } from '@mui/material/styles';
import {
  Background,
  Controls,
  MiniMap,
  ReactFlow,
  useReactFlow,
  type Connection,
  type Edge,
  type EdgeChange,
  type IsValidConnection,
  type NodeChange,
  type Viewport,
} from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { useCallback, useMemo, useState, type DragEvent } from 'react';
import type { Model } from '../api/types';
import type { NodeRunState } from '../run/events';
import { toFlowEdges, toFlowNodes, type CrewFlowNode } from './flow';
import { checkConnection, connect, disconnect, moveNodes, parseEdgeId, removeNodes } from './model';
import { nodeTypes } from './nodeTypes';
import { problemsByKey, type KeyedProblem } from './problems';
import { selectDoc, useEditor } from './store';

export const DND_TYPE = 'application/x-kasal-node';

export interface PaletteDrop {
  kind: 'agent' | 'task' | 'library-agent' | 'library-task';
  id?: string;
}

interface Props {
  readOnly: boolean;
  models: Model[] | undefined;
  problems: KeyedProblem[];
  runStates: Record<string, NodeRunState> | null;
  onDropItem: (item: PaletteDrop, position: { x: number; y: number }) => void;
  onViewport: (viewport: Viewport) => void;
}

export default function Canvas({ readOnly, models, problems, runStates, onDropItem, onViewport }: Props) {
  const theme = useTheme();
  const doc = useEditor(selectDoc);
  const selection = useEditor((s) => s.selection);
  const measured = useEditor((s) => s.measured);
  const { screenToFlowPosition } = useReactFlow();
  // Fit the crew into view when it opens. An empty crew keeps the plain viewport: fitting when
  // its first node appears would move that node away from where it was dropped.
  const [fitOnOpen] = useState(() => doc.agents.length + doc.tasks.length > 0);

  const problemMap = useMemo(() => problemsByKey(problems), [problems]);
  const nodes = useMemo(
    () => toFlowNodes(doc, { selection, measured, problems: problemMap, runStates, models }),
    [doc, selection, measured, problemMap, runStates, models],
  );
  const edges = useMemo(() => toFlowEdges(doc, selection), [doc, selection]);

  const onNodesChange = useCallback((changes: NodeChange<CrewFlowNode>[]) => {
    const store = useEditor.getState();
    const positions: Record<string, { x: number; y: number }> = {};
    let dragEnded = false;
    let selected: Set<string> | null = null;
    for (const change of changes) {
      if (change.type === 'dimensions' && change.dimensions) store.setMeasured(change.id, change.dimensions);
      if (change.type === 'position') {
        if (change.position) positions[change.id] = change.position;
        if (change.dragging === false) dragEnded = true;
      }
      if (change.type === 'select') {
        selected ??= new Set(useEditor.getState().selection.nodes);
        if (change.selected) selected.add(change.id);
        else selected.delete(change.id);
      }
    }
    if (Object.keys(positions).length) {
      store.beginTransient();
      store.applyTransient((d) => moveNodes(d, positions));
    }
    if (dragEnded) store.endTransient();
    if (selected) store.select({ nodes: [...selected], edges: useEditor.getState().selection.edges });
  }, []);

  const onEdgesChange = useCallback((changes: EdgeChange[]) => {
    let selected: Set<string> | null = null;
    for (const change of changes) {
      if (change.type === 'select') {
        selected ??= new Set(useEditor.getState().selection.edges);
        if (change.selected) selected.add(change.id);
        else selected.delete(change.id);
      }
    }
    if (selected) useEditor.getState().select({ nodes: useEditor.getState().selection.nodes, edges: [...selected] });
  }, []);

  const onDelete = useCallback(
    ({ nodes: gone, edges: goneEdges }: { nodes: CrewFlowNode[]; edges: Edge[] }) => {
      if (readOnly) return;
      useEditor.getState().apply((d) => {
        let next = d;
        for (const e of goneEdges) {
          const parsed = parseEdgeId(e.id);
          if (parsed) next = disconnect(next, parsed.source, parsed.target);
        }
        return removeNodes(next, gone.map((n) => n.id));
      });
      useEditor.getState().select({ nodes: [], edges: [] });
    },
    [readOnly],
  );

  const onConnect = useCallback((c: Connection) => {
    useEditor.getState().apply((d) => connect(d, c.source, c.target));
  }, []);

  const isValidConnection: IsValidConnection = useCallback(
    (c) => checkConnection(useEditor.getState().history.present, c.source, c.target).ok,
    [],
  );

  const onDragOver = useCallback((e: DragEvent) => {
    if (e.dataTransfer.types.includes(DND_TYPE)) {
      e.preventDefault();
      e.dataTransfer.dropEffect = 'copy';
    }
  }, []);

  const onDrop = useCallback(
    (e: DragEvent) => {
      const raw = e.dataTransfer.getData(DND_TYPE);
      if (!raw || readOnly) return;
      e.preventDefault();
      try {
        const item = JSON.parse(raw) as PaletteDrop;
        onDropItem(item, screenToFlowPosition({ x: e.clientX, y: e.clientY }));
      } catch {
        // Not ours.
      }
    },
    [onDropItem, readOnly, screenToFlowPosition],
  );

  return (
    <ReactFlow<CrewFlowNode, Edge>
      nodes={nodes}
      edges={edges}
      nodeTypes={nodeTypes}
      onNodesChange={onNodesChange}
      onEdgesChange={onEdgesChange}
      onDelete={onDelete}
      onConnect={onConnect}
      isValidConnection={isValidConnection}
      onDragOver={onDragOver}
      onDrop={onDrop}
      onMoveEnd={(_, viewport) => onViewport(viewport)}
      nodesDraggable={!readOnly}
      nodesConnectable={!readOnly}
      deleteKeyCode={readOnly ? null : ['Delete', 'Backspace']}
      colorMode={theme.palette.mode}
      fitView={fitOnOpen}
      fitViewOptions={{ maxZoom: 1, padding: 0.2 }}
      minZoom={0.2}
      proOptions={{ hideAttribution: true }}
      aria-label="Crew canvas"
    >
      <Background />
      <Controls aria-label="Canvas zoom controls" />
      <MiniMap pannable zoomable aria-label="Canvas overview" />
    </ReactFlow>
  );
}

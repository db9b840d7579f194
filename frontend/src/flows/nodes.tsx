import AltRoute from '@mui/icons-material/AltRoute';
import Groups from '@mui/icons-material/Groups';
import HowToReg from '@mui/icons-material/HowToReg';
import Typography from '@mui/material/Typography';
import { Handle, Position, type Node, type NodeProps } from '@xyflow/react';
import { memo, type ReactNode } from 'react';
import type { FlowStep, StepKind } from '../api/flows';
import { NodeFrame } from '../canvas/nodes';
import type { KeyedProblem } from '../canvas/problems';
import type { NodeRunState } from '../run/events';

export interface StepNodeData extends Record<string, unknown> {
  step: FlowStep;
  /** A crew step's crew, by name, when the crews are loaded. */
  crewName: string | null;
  problems: KeyedProblem[];
  runState: NodeRunState | null;
}

export type StepFlowNode = Node<StepNodeData, StepKind>;

const ICON: Record<StepKind, ReactNode> = {
  crew: <Groups fontSize="small" />,
  router: <AltRoute fontSize="small" />,
  approval: <HowToReg fontSize="small" />,
};
const ACCENT = { crew: 'primary', router: 'info', approval: 'warning' } as const;

function detail(data: StepNodeData): string {
  const s = data.step;
  if (s.kind === 'crew') {
    if (!s.crew_id) return 'No crew chosen';
    return `${data.crewName ?? 'Crew'} · ${s.crew_version ? `v${s.crew_version}` : 'latest'}`;
  }
  if (s.kind === 'approval') return s.approval?.question || 'No question';
  return 'Conditions on its edges';
}

export const StepNode = memo(function StepNode({ data, selected }: NodeProps<StepFlowNode>) {
  const s = data.step;
  return (
    <>
      <Handle type="target" position={Position.Left} aria-label={`Connect to step ${s.key}`} />
      <NodeFrame
        testId={`node-step-${s.key}`}
        selected={Boolean(selected)}
        runState={data.runState}
        problems={data.problems}
        accent={ACCENT[s.kind]}
        icon={ICON[s.kind]}
        title={s.name || s.key}
        subtitle={`${s.kind} · ${s.key}`}
      >
        <Typography variant="body2" sx={{ fontSize: 12, overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}>
          {detail(data)}
        </Typography>
      </NodeFrame>
      <Handle type="source" position={Position.Right} aria-label={`Continue after step ${s.key}`} />
    </>
  );
});

import ErrorOutline from '@mui/icons-material/ErrorOutlineOutlined';
import SmartToy from '@mui/icons-material/SmartToy';
import TaskAlt from '@mui/icons-material/TaskAlt';
import WarningAmber from '@mui/icons-material/WarningAmber';
import Box from '@mui/material/Box';
import Chip from '@mui/material/Chip';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import { alpha, useTheme } from '@mui/material/styles';
import { Handle, Position, type NodeProps } from '@xyflow/react';
import { memo, type ReactNode } from 'react';
import type { NodeRunState } from '../run/events';
import type { AgentFlowNode, TaskFlowNode } from './flow';
import ProblemLink from './ProblemLink';
import type { KeyedProblem } from './problems';

const STATE_LABEL: Record<NodeRunState, string> = {
  queued: 'Queued',
  running: 'Running',
  waiting: 'Waiting for an answer',
  done: 'Done',
  skipped: 'Skipped',
  failed: 'Failed',
};
const STATE_COLOR: Record<NodeRunState, 'default' | 'info' | 'warning' | 'success' | 'error'> = {
  queued: 'default',
  running: 'info',
  waiting: 'warning',
  done: 'success',
  skipped: 'default',
  failed: 'error',
};

function ProblemBadge({ problems }: { problems: KeyedProblem[] }) {
  if (problems.length === 0) return null;
  const hasError = problems.some((p) => p.severity === 'error');
  const title = (
    <Box component="ul" sx={{ m: 0, pl: 2 }}>
      {problems.map((p, i) => (
        <li key={i}>
          {p.message} <ProblemLink code={p.code} />
        </li>
      ))}
    </Box>
  );
  return (
    <Tooltip title={title}>
      <Box
        component="span"
        role="img"
        aria-label={`${problems.length} problem${problems.length > 1 ? 's' : ''}: ${problems.map((p) => p.message).join('; ')}`}
        data-testid="node-problems"
        sx={{ display: 'inline-flex', color: hasError ? 'error.main' : 'warning.main' }}
      >
        {hasError ? <ErrorOutline fontSize="small" /> : <WarningAmber fontSize="small" />}
      </Box>
    </Tooltip>
  );
}

/** The frame every canvas node shares (crew and flow editors): title, state, problems. */
export function NodeFrame(props: {
  testId: string;
  selected: boolean;
  runState: NodeRunState | null;
  problems: KeyedProblem[];
  accent: 'primary' | 'secondary' | 'info' | 'warning';
  icon: ReactNode;
  title: string;
  subtitle: string;
  children?: ReactNode;
}) {
  const theme = useTheme();
  const hasError = props.problems.some((p) => p.severity === 'error');
  const chipColor = props.runState ? STATE_COLOR[props.runState] : 'default';
  const stateColor = chipColor === 'default' ? null : theme.palette[chipColor].main;
  const border = stateColor ?? (hasError ? theme.palette.error.main : props.selected ? theme.palette[props.accent].main : theme.palette.divider);
  return (
    <Box
      data-testid={props.testId}
      data-state={props.runState ?? undefined}
      sx={{
        width: 240,
        bgcolor: 'background.paper',
        border: 2,
        borderColor: border,
        borderRadius: 2,
        boxShadow: props.selected ? `0 0 0 3px ${alpha(theme.palette[props.accent].main, 0.25)}` : 1,
        p: 1.25,
        fontSize: 13,
        opacity: props.runState === 'skipped' ? 0.55 : 1,
        animation: props.runState === 'running' ? 'kasalPulse 1.4s ease-in-out infinite' : undefined,
        '@keyframes kasalPulse': {
          '0%, 100%': { boxShadow: `0 0 0 0 ${alpha(theme.palette.info.main, 0.5)}` },
          '50%': { boxShadow: `0 0 0 6px ${alpha(theme.palette.info.main, 0)}` },
        },
      }}
    >
      <Box sx={{ display: 'flex', alignItems: 'center', gap: 0.75, mb: 0.5 }}>
        <Box sx={{ color: `${props.accent}.main`, display: 'inline-flex' }}>{props.icon}</Box>
        <Typography variant="subtitle2" sx={{ flex: 1, minWidth: 0, overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}>
          {props.title}
        </Typography>
        <ProblemBadge problems={props.problems} />
      </Box>
      <Typography variant="caption" color="text.secondary" component="div" sx={{ mb: 0.5 }}>
        {props.subtitle}
      </Typography>
      {props.children}
      {props.runState && (
        <Chip
          size="small"
          label={STATE_LABEL[props.runState]}
          color={chipColor}
          sx={{ mt: 0.75, height: 20 }}
        />
      )}
    </Box>
  );
}

const clamp2 = {
  display: '-webkit-box',
  WebkitLineClamp: 2,
  WebkitBoxOrient: 'vertical' as const,
  overflow: 'hidden',
};

export const AgentNode = memo(function AgentNode({ data, selected }: NodeProps<AgentFlowNode>) {
  const a = data.item;
  return (
    <>
      <NodeFrame
        testId={`node-agent-${a.key}`}
        selected={Boolean(selected)}
        runState={data.runState}
        problems={data.problems}
        accent="primary"
        icon={<SmartToy fontSize="small" />}
        title={a.role || 'Untitled agent'}
        subtitle={`agent · ${a.key}`}
      >
        <Box sx={{ display: 'flex', flexWrap: 'wrap', gap: 0.5 }}>
          <Chip
            size="small"
            variant="outlined"
            color={data.modelWarning ? 'warning' : 'default'}
            label={data.modelLabel ? `${data.modelLabel}${data.modelWarning ? ` · ${data.modelWarning}` : ''}` : 'default model'}
            sx={{ height: 20, maxWidth: '100%' }}
          />
          {a.tools.map((t) => (
            <Chip key={t.tool_id} size="small" label={t.tool_id} sx={{ height: 20 }} />
          ))}
        </Box>
      </NodeFrame>
      <Handle type="source" position={Position.Right} aria-label={`Connect agent ${a.key} to a task`} />
    </>
  );
});

export const TaskNode = memo(function TaskNode({ data, selected }: NodeProps<TaskFlowNode>) {
  const t = data.item;
  return (
    <>
      <Handle type="target" position={Position.Left} aria-label={`Connect to task ${t.key}`} />
      <NodeFrame
        testId={`node-task-${t.key}`}
        selected={Boolean(selected)}
        runState={data.runState}
        problems={data.problems}
        accent="secondary"
        icon={<TaskAlt fontSize="small" />}
        title={t.name || t.key}
        subtitle={`task ${data.index + 1} · ${t.key}${data.agentRole ? ` · ${data.agentRole}` : ''}`}
      >
        <Typography variant="body2" sx={{ ...clamp2, fontSize: 12 }}>
          {t.description || <em>No description</em>}
        </Typography>
        {t.expected_output && (
          <Typography variant="caption" color="text.secondary" sx={{ ...clamp2, mt: 0.5 }}>
            → {t.expected_output}
          </Typography>
        )}
      </NodeFrame>
      <Handle type="source" position={Position.Right} aria-label={`Use the output of task ${t.key} in another task`} />
    </>
  );
});


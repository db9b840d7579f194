import Chip from '@mui/material/Chip';
import type { ExecutionStatus } from '../api/types';

const COLORS: Record<ExecutionStatus, 'default' | 'info' | 'success' | 'error' | 'warning' | 'primary'> = {
  queued: 'default',
  running: 'info',
  waiting: 'warning',
  cancelling: 'warning',
  succeeded: 'success',
  failed: 'error',
  cancelled: 'warning',
  interrupted: 'error',
};

export default function StatusChip({ status }: { status: ExecutionStatus }) {
  return <Chip size="small" label={status} color={COLORS[status] ?? 'default'} data-testid="execution-status" data-status={status} />;
}

import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import Link from '@mui/material/Link';
import Paper from '@mui/material/Paper';
import Tab from '@mui/material/Tab';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Tabs from '@mui/material/Tabs';
import Typography from '@mui/material/Typography';
import { useInfiniteQuery } from '@tanstack/react-query';
import { Link as RouterLink, useNavigate, useParams, useSearchParams } from 'react-router';
import { approvalsApi, type ApprovalFilter } from '../api/approvals';
import { errorMessage } from '../api/client';
import { keys } from '../api/hooks';
import { formatTime } from '../common/format';
import PageLoader from '../common/PageLoader';
import { EmptyRow, LoadMore } from '../common/TableParts';
import ApprovalDialog from './ApprovalDialog';
import { statusLabel } from './statusLabel';
import { COUNT_INTERVAL_MS } from './useApprovalCount';

const FILTERS: { value: ApprovalFilter; label: string }[] = [
  { value: 'pending', label: 'Pending' },
  { value: 'answered', label: 'Answered' },
  { value: 'all', label: 'All' },
];

/** The group's inbox: runs waiting for a person, newest first; `/approvals/:id` opens one. */
export default function ApprovalsPage() {
  const { approvalId = null } = useParams();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const status = (params.get('status') ?? 'pending') as ApprovalFilter;
  const list = useInfiniteQuery({
    queryKey: [...keys.approvals, 'list', status],
    queryFn: ({ pageParam }) => approvalsApi.list(status, pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
    refetchInterval: COUNT_INTERVAL_MS,
  });
  const items = list.data?.pages.flatMap((p) => p.items) ?? [];
  const open = (id: string | null) => void navigate({ pathname: id ? `/approvals/${id}` : '/approvals', search: params.toString() });

  return (
    <Box sx={{ p: 3, maxWidth: 1280, width: '100%', mx: 'auto' }}>
      <Typography variant="h5" component="h1" sx={{ mb: 1 }}>
        Approvals
      </Typography>
      <Tabs
        value={status}
        onChange={(_, v: ApprovalFilter) => setParams(v === 'pending' ? {} : { status: v }, { replace: true })}
        aria-label="Approval status"
        sx={{ mb: 2 }}
      >
        {FILTERS.map((f) => (
          <Tab key={f.value} value={f.value} label={f.label} />
        ))}
      </Tabs>
      {list.isError && <Alert severity="error">{errorMessage(list.error)}</Alert>}
      {list.isPending ? (
        <PageLoader label="Loading approvals" />
      ) : (
        <TableContainer component={Paper} variant="outlined">
          <Table size="small" aria-label="Approvals">
            <TableHead>
              <TableRow>
                <TableCell>Question</TableCell>
                <TableCell>Run</TableCell>
                <TableCell>Waiting at</TableCell>
                <TableCell>Asked</TableCell>
                <TableCell>Status</TableCell>
                <TableCell align="right">Actions</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {items.map((a) => (
                <TableRow key={a.id} hover data-testid={`approval-row-${a.id}`}>
                  <TableCell sx={{ maxWidth: 420 }}>{a.question}</TableCell>
                  <TableCell>
                    <Link component={RouterLink} to={`/executions/${a.execution_id}`}>
                      {a.execution_name}
                    </Link>
                  </TableCell>
                  <TableCell>{[a.step_key, a.task_key].filter(Boolean).join(' › ') || '—'}</TableCell>
                  <TableCell>{formatTime(a.created_at)}</TableCell>
                  <TableCell>
                    <Chip size="small" label={statusLabel(a)} color={a.status === 'pending' ? 'warning' : 'default'} />
                  </TableCell>
                  <TableCell align="right">
                    <Button size="small" variant={a.status === 'pending' ? 'contained' : 'text'} onClick={() => open(a.id)} aria-label={`${a.status === 'pending' ? 'Answer' : 'View'} ${a.question}`}>
                      {a.status === 'pending' ? 'Answer' : 'View'}
                    </Button>
                  </TableCell>
                </TableRow>
              ))}
              {items.length === 0 && (
                <EmptyRow colSpan={6}>{status === 'pending' ? 'Nothing is waiting for an answer.' : 'No approvals here yet.'}</EmptyRow>
              )}
            </TableBody>
          </Table>
        </TableContainer>
      )}
      <LoadMore query={list} />
      <ApprovalDialog approvalId={approvalId} onClose={() => open(null)} />
    </Box>
  );
}

import Delete from '@mui/icons-material/Delete';
import HowToReg from '@mui/icons-material/HowToReg';
import Stop from '@mui/icons-material/Stop';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Chip from '@mui/material/Chip';
import IconButton from '@mui/material/IconButton';
import Link from '@mui/material/Link';
import MenuItem from '@mui/material/MenuItem';
import Paper from '@mui/material/Paper';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import TextField from '@mui/material/TextField';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link as RouterLink, useNavigate, useSearchParams } from 'react-router';
import { errorMessage } from '../api/client';
import { crewsApi, executionsApi } from '../api/endpoints';
import { keys, usePermissions } from '../api/hooks';
import { EXECUTION_STATUSES, TERMINAL_STATUSES, type Execution, type ExecutionStatus } from '../api/types';
import ConfirmDialog from '../common/ConfirmDialog';
import { durationBetween, formatDuration, formatNumber, formatTime } from '../common/format';
import { notify } from '../common/notify';
import PageLoader from '../common/PageLoader';
import StatusChip from '../common/StatusChip';
import { useGroupFeed } from './useGroupFeed';
import { EmptyRow, LoadMore } from '../common/TableParts';

export default function ExecutionsPage() {
  const qc = useQueryClient();
  const { canRun } = usePermissions();
  const [params, setParams] = useSearchParams();
  const navigate = useNavigate();
  const crewId = params.get('crew') ?? '';
  const status = (params.get('status') ?? '') as ExecutionStatus | '';
  const [deleting, setDeleting] = useState<Execution | null>(null);
  const live = useGroupFeed();

  const crews = useQuery({ queryKey: [...keys.crews, 'all-names'], queryFn: () => crewsApi.list({ sort: 'name', limit: 200 }) });
  const executions = useInfiniteQuery({
    queryKey: [...keys.executions, { crewId, status }],
    queryFn: ({ pageParam }) => executionsApi.list({ crew_id: crewId || undefined, status, cursor: pageParam }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
    refetchInterval: live ? false : 5000,
  });
  const items = executions.data?.pages.flatMap((p) => p.items) ?? [];

  const setFilter = (name: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next, { replace: true });
  };

  const cancel = useMutation({
    mutationFn: (id: string) => executionsApi.cancel(id),
    onSuccess: () => void qc.invalidateQueries({ queryKey: keys.executions }),
    onError: (e) => notify(errorMessage(e), 'error'),
  });
  const remove = useMutation({
    mutationFn: (id: string) => executionsApi.remove(id),
    onSuccess: () => {
      setDeleting(null);
      notify('Execution deleted', 'success');
      void qc.invalidateQueries({ queryKey: keys.executions });
    },
    onError: (e) => notify(errorMessage(e), 'error'),
  });

  return (
    <Box sx={{ p: 3, maxWidth: 1280, width: '100%', mx: 'auto' }}>
      <Box sx={{ display: 'flex', alignItems: 'center', gap: 1, mb: 2 }}>
        <Typography variant="h5" component="h1" sx={{ flex: 1 }}>
          Executions
        </Typography>
        <Chip size="small" label={live ? 'Live' : 'Refreshing every 5 s'} color={live ? 'success' : 'default'} variant="outlined" data-testid="feed-status" />
      </Box>
      <Box sx={{ display: 'flex', gap: 2, mb: 2 }}>
        <TextField select label="Crew" value={crewId} onChange={(e) => setFilter('crew', e.target.value)} sx={{ minWidth: 260 }}>
          <MenuItem value="">All crews</MenuItem>
          {crews.data?.items.map((c) => (
            <MenuItem key={c.id} value={c.id}>
              {c.name}
            </MenuItem>
          ))}
        </TextField>
        <TextField select label="Status" value={status} onChange={(e) => setFilter('status', e.target.value)} sx={{ minWidth: 200 }}>
          <MenuItem value="">Any status</MenuItem>
          {EXECUTION_STATUSES.map((s) => (
            <MenuItem key={s} value={s}>
              {s}
            </MenuItem>
          ))}
        </TextField>
      </Box>
      {executions.isError && <Alert severity="error">{errorMessage(executions.error)}</Alert>}
      {executions.isPending ? (
        <PageLoader label="Loading executions" />
      ) : (
        <TableContainer component={Paper} variant="outlined">
          <Table size="small" aria-label="Executions">
            <TableHead>
              <TableRow>
                <TableCell>Crew</TableCell>
                <TableCell>Status</TableCell>
                <TableCell>Created</TableCell>
                <TableCell>Duration</TableCell>
                <TableCell align="right">Tokens</TableCell>
                <TableCell align="right">Cost</TableCell>
                <TableCell align="right">Actions</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {items.map((e) => {
                const active = !TERMINAL_STATUSES.has(e.status);
                return (
                  <TableRow
                    key={e.id}
                    hover
                    data-testid={`execution-row-${e.id}`}
                    sx={{ cursor: 'pointer' }}
                    onClick={(click) => {
                      // The whole row opens the run; its link and buttons do their own thing.
                      if (!(click.target as Element).closest('a, button')) void navigate(`/executions/${e.id}`);
                    }}
                  >
                    <TableCell>
                      <Link component={RouterLink} to={`/executions/${e.id}`}>
                        {e.crew_name}
                      </Link>{' '}
                      <Typography component="span" variant="caption" color="text.secondary">
                        v{e.crew_version}
                      </Typography>
                      {e.flow_id && <Chip size="small" variant="outlined" label="flow" sx={{ ml: 1, height: 20 }} />}
                    </TableCell>
                    <TableCell>
                      <StatusChip status={e.status} />
                    </TableCell>
                    <TableCell>{formatTime(e.created_at)}</TableCell>
                    <TableCell>{e.started_at ? formatDuration(durationBetween(e.started_at, e.finished_at)) : '—'}</TableCell>
                    <TableCell align="right">{formatNumber(e.usage?.total_tokens)}</TableCell>
                    <TableCell align="right">{e.cost !== null && e.cost !== undefined ? `$${e.cost.toFixed(4)}` : '—'}</TableCell>
                    <TableCell align="right" sx={{ whiteSpace: 'nowrap' }}>
                      {e.status === 'waiting' && (
                        <Tooltip title="Answer in the approvals inbox">
                          <IconButton aria-label={`Answer the approval of ${e.crew_name}`} component={RouterLink} to="/approvals">
                            <HowToReg fontSize="small" />
                          </IconButton>
                        </Tooltip>
                      )}
                      {active ? (
                        <Tooltip title="Cancel">
                          <span>
                            <IconButton aria-label={`Cancel execution of ${e.crew_name}`} disabled={!canRun || e.status === 'cancelling'} onClick={() => cancel.mutate(e.id)}>
                              <Stop fontSize="small" />
                            </IconButton>
                          </span>
                        </Tooltip>
                      ) : (
                        <Tooltip title="Delete">
                          <span>
                            <IconButton aria-label={`Delete execution of ${e.crew_name}`} disabled={!canRun} onClick={() => setDeleting(e)}>
                              <Delete fontSize="small" />
                            </IconButton>
                          </span>
                        </Tooltip>
                      )}
                    </TableCell>
                  </TableRow>
                );
              })}
              {items.length === 0 && (
                <EmptyRow colSpan={7}>
                  No executions{crewId || status ? ' match these filters' : ' yet: open a crew and press Run'}.
                </EmptyRow>
              )}
            </TableBody>
          </Table>
        </TableContainer>
      )}
      <LoadMore query={executions} />
      <ConfirmDialog
        open={Boolean(deleting)}
        title="Delete execution?"
        message="Its events, trace and result will be deleted."
        confirmLabel="Delete"
        destructive
        busy={remove.isPending}
        onConfirm={() => deleting && remove.mutate(deleting.id)}
        onCancel={() => setDeleting(null)}
      />
    </Box>
  );
}

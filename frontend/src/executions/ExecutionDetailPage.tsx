import ArrowBack from '@mui/icons-material/ArrowBack';
import Delete from '@mui/icons-material/Delete';
import Stop from '@mui/icons-material/Stop';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import IconButton from '@mui/material/IconButton';
import Link from '@mui/material/Link';
import Paper from '@mui/material/Paper';
import Tab from '@mui/material/Tab';
import Tabs from '@mui/material/Tabs';
import Typography from '@mui/material/Typography';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useState } from 'react';
import { Link as RouterLink, useNavigate, useParams } from 'react-router';
import { errorMessage } from '../api/client';
import { executionsApi } from '../api/endpoints';
import { keys, usePermissions } from '../api/hooks';
import { TERMINAL_STATUSES } from '../api/types';
import ConfirmDialog from '../common/ConfirmDialog';
import { durationBetween, formatDuration, formatNumber, formatTime } from '../common/format';
import { notify } from '../common/notify';
import PageLoader from '../common/PageLoader';
import StatusChip from '../common/StatusChip';
import EventLog from '../run/EventLog';
import { isTerminal } from '../run/events';
import ResultView, { type Ended } from '../run/ResultView';
import { useRunStream } from '../run/useRunStream';
import WaitingNotice from '../run/WaitingNotice';
import RunFilesList from './RunFilesList';
import TraceTimeline from './TraceTimeline';

const NO_KEYS: string[] = [];

export default function ExecutionDetailPage() {
  const { executionId = '' } = useParams();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const { canRun } = usePermissions();
  const [tab, setTab] = useState<'timeline' | 'log' | 'result' | 'files' | 'inputs'>('timeline');
  const [deleting, setDeleting] = useState(false);

  const execution = useQuery({ queryKey: keys.execution(executionId), queryFn: () => executionsApi.get(executionId) });
  const active = execution.data ? !TERMINAL_STATUSES.has(execution.data.status) : false;
  const trace = useQuery({
    queryKey: keys.trace(executionId),
    queryFn: () => executionsApi.trace(executionId),
    enabled: Boolean(execution.data),
    refetchInterval: active ? 3000 : false,
  });
  const { state, mode } = useRunStream(execution.data ? executionId : null, NO_KEYS);
  const streamDone = state ? isTerminal(state.status) : false;

  // When the live stream sees the end, fetch the final record (usage, cost, result) and trace.
  useEffect(() => {
    if (streamDone && active) {
      void qc.invalidateQueries({ queryKey: keys.execution(executionId) });
      void qc.invalidateQueries({ queryKey: keys.trace(executionId) });
    }
  }, [streamDone, active, executionId, qc]);

  const cancel = useMutation({
    mutationFn: () => executionsApi.cancel(executionId),
    onSuccess: () => void qc.invalidateQueries({ queryKey: keys.execution(executionId) }),
    onError: (e) => notify(errorMessage(e), 'error'),
  });
  const remove = useMutation({
    mutationFn: () => executionsApi.remove(executionId),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: keys.executions });
      navigate('/executions');
    },
    onError: (e) => notify(errorMessage(e), 'error'),
  });

  const taskKeys = useMemo(() => {
    const set = new Set<string>();
    for (const l of state?.log ?? []) if (l.taskKey) set.add(l.taskKey);
    for (const k of Object.keys(execution.data?.task_outputs ?? {})) set.add(k);
    return [...set];
  }, [state?.log, execution.data?.task_outputs]);
  const agentKeys = useMemo(() => {
    const set = new Set<string>();
    for (const l of state?.log ?? []) if (l.agentKey) set.add(l.agentKey);
    return [...set];
  }, [state?.log]);

  if (execution.isError)
    return (
      <Box sx={{ p: 3 }}>
        <Alert severity="error">{errorMessage(execution.error)}</Alert>
      </Box>
    );
  if (!execution.data) return <PageLoader label="Loading execution" />;
  const e = execution.data;
  const home = e.flow_id ? `/flows/${e.flow_id}` : e.crew_id ? `/crews/${e.crew_id}` : null;
  const status = active && state && state.status !== 'queued' ? state.status : e.status;
  const tokens = active && state ? state.tokens.total : e.usage?.total_tokens;

  return (
    <Box sx={{ p: 3, maxWidth: 1280, width: '100%', mx: 'auto', display: 'flex', flexDirection: 'column', flex: 1, minHeight: 0 }}>
      <Box sx={{ display: 'flex', alignItems: 'center', gap: 1, mb: 1 }}>
        <IconButton component={RouterLink} to="/executions" aria-label="Back to executions">
          <ArrowBack />
        </IconButton>
        <Typography variant="h5" component="h1">
          {home ? (
            <Link component={RouterLink} to={home} underline="hover" color="inherit">
              {e.crew_name}
            </Link>
          ) : (
            // The crew was deleted; its runs are kept, with nothing to link to.
            <span title="This crew has been deleted">{e.crew_name}</span>
          )}{' '}
          <Typography component="span" variant="body2" color="text.secondary">
            v{e.crew_version}
          </Typography>
        </Typography>
        <StatusChip status={status} />
        <Box sx={{ flex: 1 }} />
        {active ? (
          <Button color="error" variant="outlined" startIcon={<Stop />} disabled={!canRun || cancel.isPending || status === 'cancelling'} onClick={() => cancel.mutate()}>
            Cancel run
          </Button>
        ) : (
          <Button color="error" startIcon={<Delete />} disabled={!canRun} onClick={() => setDeleting(true)}>
            Delete
          </Button>
        )}
      </Box>
      {status === 'waiting' && state?.waiting && <WaitingNotice waiting={state.waiting} />}
      <Paper variant="outlined" sx={{ display: 'flex', gap: 4, p: 2, mb: 2, mt: 1, flexWrap: 'wrap' }}>
        {[
          ['Created', formatTime(e.created_at)],
          ['Started', formatTime(e.started_at)],
          ['Finished', formatTime(e.finished_at)],
          ['Duration', e.started_at ? formatDuration(durationBetween(e.started_at, e.finished_at)) : '—'],
          ['Tokens', formatNumber(tokens)],
          ['Cost', e.cost !== null && e.cost !== undefined ? `$${e.cost.toFixed(4)}` : '—'],
        ].map(([label, value]) => (
          <Box key={label}>
            <Typography variant="caption" color="text.secondary" component="div">
              {label}
            </Typography>
            <Typography variant="body2">{value}</Typography>
          </Box>
        ))}
      </Paper>
      <Tabs value={tab} onChange={(_, v: typeof tab) => setTab(v)} aria-label="Execution views" sx={{ mb: 2 }}>
        <Tab value="timeline" label="Timeline" />
        <Tab value="log" label="Event log" />
        <Tab value="result" label="Result" />
        <Tab value="files" label="Files" />
        <Tab value="inputs" label="Inputs" />
      </Tabs>
      <Box sx={{ flex: 1, minHeight: 400 }}>
        {tab === 'timeline' && (trace.isError ? <Alert severity="error">{errorMessage(trace.error)}</Alert> : <TraceTimeline spans={trace.data?.spans ?? []} />)}
        {tab === 'log' && (
          <Box sx={{ height: 560 }}>
            {active && mode !== 'closed' && (
              <Typography variant="caption" color="text.secondary">
                Stream: {mode}
              </Typography>
            )}
            <EventLog log={state?.log ?? []} taskKeys={taskKeys} agentKeys={agentKeys} />
          </Box>
        )}
        {tab === 'result' && (
          <ResultView
            result={e.result ?? state?.result ?? null}
            error={e.error ?? state?.error ?? null}
            taskOutputs={{ ...(state?.taskOutputs ?? {}), ...e.task_outputs }}
            tasks={taskKeys.map((k) => ({ key: k, name: k }))}
            ended={isTerminal(status) ? (status as Ended) : null}
          />
        )}
        {tab === 'files' && <RunFilesList executionId={executionId} finished={!active} />}
        {tab === 'inputs' && (
          <Box component="dl" sx={{ m: 0 }}>
            {Object.entries(e.inputs ?? {}).map(([k, v]) => (
              <Box key={k} sx={{ mb: 1 }}>
                <Typography component="dt" variant="subtitle2">
                  {k}
                </Typography>
                <Typography component="dd" variant="body2" sx={{ m: 0, whiteSpace: 'pre-wrap' }}>
                  {v}
                </Typography>
              </Box>
            ))}
            {Object.keys(e.inputs ?? {}).length === 0 && <Typography color="text.secondary">No inputs.</Typography>}
          </Box>
        )}
      </Box>
      <ConfirmDialog
        open={deleting}
        title="Delete execution?"
        message="Its events, trace and result will be deleted."
        confirmLabel="Delete"
        destructive
        busy={remove.isPending}
        onConfirm={() => remove.mutate()}
        onCancel={() => setDeleting(false)}
      />
    </Box>
  );
}

import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import FormControlLabel from '@mui/material/FormControlLabel';
import Switch from '@mui/material/Switch';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link as RouterLink } from 'react-router';
import { errorMessage } from '../api/client';
import { tracingApi } from '../api/endpoints';
import { keys, usePermissions, useTracing } from '../api/hooks';
import type { TraceExport, Tracing, TracingUpdate } from '../api/types';
import { formatTime } from '../common/format';
import { notify } from '../common/notify';
import PageLoader from '../common/PageLoader';
import { EmptyRow } from '../common/TableParts';

const STATUS_COLORS: Record<TraceExport['status'], 'default' | 'info' | 'success' | 'error'> = {
  pending: 'default',
  exporting: 'info',
  exported: 'success',
  failed: 'error',
};

/** What became of an export, in words: the trace, the reason it failed, when it is tried again. */
function outcome(e: TraceExport): string {
  if (e.status === 'exported') return e.trace_id ?? '';
  if (e.status === 'failed') return `${e.error ?? 'Failed'}${e.next_attempt_at ? ` (again at ${formatTime(e.next_attempt_at)})` : ' (given up)'}`;
  return e.error ?? '';
}

function TracingForm({ tracing }: { tracing: Tracing }) {
  const { canEdit } = usePermissions();
  const queryClient = useQueryClient();
  const [enabled, setEnabled] = useState(tracing.enabled);
  const [experiment, setExperiment] = useState(tracing.experiment_name ?? '/Shared/kasal');
  const save = useMutation({
    mutationFn: (body: TracingUpdate) => tracingApi.update(body),
    onSuccess: (saved) => {
      queryClient.setQueryData(keys.tracing, saved);
      notify(saved.enabled ? 'Tracing is on' : 'Tracing is off', 'success');
    },
    onError: (e) => notify(errorMessage(e), 'error'),
  });
  const readOnly = !canEdit || !tracing.available;
  const blank = experiment.trim() === '';
  return (
    <Box component="form" sx={{ display: 'flex', gap: 2, alignItems: 'center', flexWrap: 'wrap', mb: 3 }} onSubmit={(e) => { e.preventDefault(); save.mutate({ enabled, experiment_name: experiment.trim() }); }}>
      <FormControlLabel control={<Switch checked={enabled} onChange={(_, v) => setEnabled(v)} disabled={readOnly} />} label="Trace this group's runs" />
      <TextField label="MLflow experiment" size="small" value={experiment} onChange={(e) => setExperiment(e.target.value)} disabled={readOnly} error={blank} helperText={blank ? 'Name the experiment' : 'Created on the first export if missing'} sx={{ minWidth: 320 }} />
      {canEdit && (
        <Button type="submit" variant="contained" disabled={readOnly || blank || save.isPending}>
          Save
        </Button>
      )}
    </Box>
  );
}

export default function TracingTab() {
  const tracing = useTracing();
  if (tracing.isPending) return <PageLoader label="Loading tracing" />;
  if (tracing.isError) return <Alert severity="error">{errorMessage(tracing.error)}</Alert>;
  const data = tracing.data;
  return (
    <Box>
      <Typography variant="body2" color="text.secondary" sx={{ mb: 2 }}>
        Each run that finishes while tracing is on becomes one MLflow trace: crew, tasks, agents, LLM calls (with tokens) and tool calls, with their times and errors.
        {data.destination && ` Traces go to ${data.destination}.`}
      </Typography>
      {!data.available && (
        <Alert severity="info" sx={{ mb: 2 }}>
          This server has no MLflow tracking server: the operator sets KASAL_MLFLOW_TRACKING_URI (in a Databricks App, the workspace is the default).
        </Alert>
      )}
      <TracingForm key={`${data.enabled}-${data.experiment_name ?? ''}`} tracing={data} />
      <Typography variant="subtitle1" component="h2" gutterBottom>
        Latest exports
      </Typography>
      <Table size="small" aria-label="Latest exports">
        <TableHead>
          <TableRow>
            <TableCell>Run</TableCell>
            <TableCell>Status</TableCell>
            <TableCell>Attempts</TableCell>
            <TableCell>Experiment</TableCell>
            <TableCell>Trace or reason</TableCell>
            <TableCell>Exported</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {data.recent.map((e) => (
            <TableRow key={e.execution_id}>
              <TableCell>
                <RouterLink to={`/executions/${e.execution_id}`}>{e.execution_id.slice(0, 8)}</RouterLink>
              </TableCell>
              <TableCell>
                <Chip size="small" label={e.status} color={STATUS_COLORS[e.status]} />
              </TableCell>
              <TableCell>{e.attempts}</TableCell>
              <TableCell>{e.experiment_name}</TableCell>
              <TableCell sx={{ overflowWrap: 'anywhere' }}>
                <code>{outcome(e)}</code>
              </TableCell>
              <TableCell>{formatTime(e.exported_at)}</TableCell>
            </TableRow>
          ))}
          {data.recent.length === 0 && <EmptyRow colSpan={6}>No run has been exported yet.</EmptyRow>}
        </TableBody>
      </Table>
    </Box>
  );
}

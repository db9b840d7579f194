import Add from '@mui/icons-material/Add';
import Delete from '@mui/icons-material/Delete';
import UploadFile from '@mui/icons-material/UploadFile';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import IconButton from '@mui/material/IconButton';
import Link from '@mui/material/Link';
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
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link as RouterLink, useNavigate } from 'react-router';
import { errorMessage } from '../api/client';
import { flowsApi, type FlowRead, type FlowSummary } from '../api/flows';
import { keys, usePermissions } from '../api/hooks';
import ConfirmDialog from '../common/ConfirmDialog';
import { formatTime } from '../common/format';
import ImportDialog from '../common/ImportDialog';
import { notify } from '../common/notify';
import PageLoader from '../common/PageLoader';
import { EmptyRow, LoadMore } from '../common/TableParts';
import { emptyFlow } from './model';

/** The group's flows: open one on the canvas, create, import (crewai.flow/v1) or delete. */
export default function FlowsPage() {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const { canEdit } = usePermissions();
  const [creating, setCreating] = useState(false);
  const [importing, setImporting] = useState(false);
  const [deleting, setDeleting] = useState<FlowSummary | null>(null);
  const flows = useInfiniteQuery({
    queryKey: keys.flows,
    queryFn: ({ pageParam }) => flowsApi.list({ cursor: pageParam }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
  });
  const items = flows.data?.pages.flatMap((p) => p.items) ?? [];
  const opened = (doc: FlowRead) => {
    void qc.invalidateQueries({ queryKey: keys.flows });
    qc.setQueryData(keys.flow(doc.id), doc);
    void navigate(`/flows/${doc.id}`);
  };
  const remove = useMutation({
    mutationFn: (id: string) => flowsApi.remove(id),
    onSuccess: () => {
      notify('Flow deleted', 'success');
      setDeleting(null);
      void qc.invalidateQueries({ queryKey: keys.flows });
    },
    onError: (e) => notify(errorMessage(e), 'error'),
  });

  return (
    <Box sx={{ p: 3, maxWidth: 1200, width: '100%', mx: 'auto' }}>
      <Box sx={{ display: 'flex', alignItems: 'center', gap: 1, mb: 2 }}>
        <Typography variant="h5" component="h1" sx={{ flex: 1 }}>
          Flows
        </Typography>
        <Button startIcon={<UploadFile />} onClick={() => setImporting(true)} disabled={!canEdit}>
          Import
        </Button>
        <Button startIcon={<Add />} variant="contained" onClick={() => setCreating(true)} disabled={!canEdit}>
          New flow
        </Button>
      </Box>
      <Typography variant="body2" color="text.secondary" sx={{ mb: 2 }}>
        A flow chains crews: routers pick a branch from earlier outputs, approvals pause the run for a person.
      </Typography>
      {flows.isError && <Alert severity="error">{errorMessage(flows.error)}</Alert>}
      {flows.isPending ? (
        <PageLoader label="Loading flows" />
      ) : (
        <TableContainer component={Paper} variant="outlined">
          <Table size="small" aria-label="Flows">
            <TableHead>
              <TableRow>
                <TableCell>Name</TableCell>
                <TableCell>Steps</TableCell>
                <TableCell>Version</TableCell>
                <TableCell>Updated</TableCell>
                <TableCell align="right">Actions</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {items.map((f) => (
                <TableRow key={f.id} hover data-testid={`flow-row-${f.id}`}>
                  <TableCell>
                    <Link component={RouterLink} to={`/flows/${f.id}`}>
                      {f.name}
                    </Link>
                    {f.description && (
                      <Typography variant="caption" color="text.secondary" component="div">
                        {f.description}
                      </Typography>
                    )}
                  </TableCell>
                  <TableCell>{f.step_count}</TableCell>
                  <TableCell>v{f.version}</TableCell>
                  <TableCell>{formatTime(f.updated_at)}</TableCell>
                  <TableCell align="right">
                    <Tooltip title="Delete">
                      <span>
                        <IconButton aria-label={`Delete flow ${f.name}`} disabled={!canEdit} onClick={() => setDeleting(f)}>
                          <Delete fontSize="small" />
                        </IconButton>
                      </span>
                    </Tooltip>
                  </TableCell>
                </TableRow>
              ))}
              {items.length === 0 && <EmptyRow colSpan={5}>No flows yet: create one, or import a crewai.flow/v1 file.</EmptyRow>}
            </TableBody>
          </Table>
        </TableContainer>
      )}
      <LoadMore query={flows} />
      <CreateFlowDialog open={creating} onClose={() => setCreating(false)} onCreated={opened} />
      <ImportDialog
        what="flow"
        hint="A crewai.flow/v1 file (YAML or JSON), or a Kasal flow export. What does not map onto a Kasal flow is listed."
        importFile={flowsApi.importFile}
        open={importing}
        onClose={() => setImporting(false)}
        onImported={(doc) => {
          // Its crew steps' crews were saved with it.
          void qc.invalidateQueries({ queryKey: keys.crews });
          const crews = doc.crew_ids.length ? ` with ${doc.crew_ids.length} new crew${doc.crew_ids.length === 1 ? '' : 's'}` : '';
          const left = doc.notes.length ? `; left out: ${doc.notes.map((n) => n.message).join('; ')}` : '';
          notify(`Imported "${doc.name}"${crews}${left}`, 'success');
          opened(doc);
        }}
      />
      <ConfirmDialog
        open={Boolean(deleting)}
        title="Delete flow?"
        message={`"${deleting?.name}" and its versions will be deleted. Its past runs are kept.`}
        confirmLabel="Delete"
        destructive
        busy={remove.isPending}
        onConfirm={() => deleting && remove.mutate(deleting.id)}
        onCancel={() => setDeleting(null)}
      />
    </Box>
  );
}

function CreateFlowDialog({ open, onClose, onCreated }: { open: boolean; onClose: () => void; onCreated: (doc: FlowRead) => void }) {
  const [name, setName] = useState('');
  const create = useMutation({
    mutationFn: (n: string) => flowsApi.create(emptyFlow(n)),
    onSuccess: (doc) => {
      setName('');
      onClose();
      onCreated(doc);
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (name.trim()) create.mutate(name.trim());
  };
  return (
    <Dialog open={open} onClose={onClose} fullWidth maxWidth="xs" aria-labelledby="new-flow-title">
      <form onSubmit={submit} noValidate>
        <DialogTitle id="new-flow-title">New flow</DialogTitle>
        <DialogContent>
          <TextField label="Name" value={name} onChange={(e) => setName(e.target.value)} autoFocus fullWidth required sx={{ mt: 1 }} />
          {create.isError && (
            <Alert severity="error" role="alert" sx={{ mt: 1 }}>
              {errorMessage(create.error)}
            </Alert>
          )}
        </DialogContent>
        <DialogActions>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="contained" disabled={!name.trim() || create.isPending}>
            Create
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}

import Add from '@mui/icons-material/Add';
import Delete from '@mui/icons-material/Delete';
import Edit from '@mui/icons-material/Edit';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import IconButton from '@mui/material/IconButton';
import Paper from '@mui/material/Paper';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { errorMessage } from '../api/client';
import { connectionsApi } from '../api/endpoints';
import { keys, useConnections, usePermissions } from '../api/hooks';
import type { Connection, ConnectionCheck, ConnectionCreate, ConnectionUpdate } from '../api/types';
import ConfirmDialog from '../common/ConfirmDialog';
import { notify } from '../common/notify';
import PageLoader from '../common/PageLoader';
import { EmptyRow } from '../common/TableParts';
import ConnectionForm, { type ConnectionFields } from './ConnectionForm';
import { formErrors, type FormErrors } from './serverErrors';

const FIELDS: readonly ConnectionFields[] = ['name', 'url', 'password', 'description'];
const FIELD_OF_CODE: Partial<Record<string, ConnectionFields>> = {
  connection_name_taken: 'name',
  invalid_connection_url: 'url',
  connection_path_forbidden: 'url',
};

/** A test's outcome in plain words, as the row shows it. */
function checkSummary(check: ConnectionCheck): string {
  return check.ok ? `Connected: ${check.server_version ?? 'the server answered'} (${check.elapsed_ms} ms)` : `Could not connect: ${check.error ?? 'no reason given'}`;
}

function CheckResult({ check }: { check: ConnectionCheck | undefined }) {
  if (!check) return null;
  return (
    <Typography variant="caption" role="status" color={check.ok ? 'success.main' : 'error'} component="div" sx={{ mt: 0.5, overflowWrap: 'anywhere' }}>
      {checkSummary(check)}
    </Typography>
  );
}

export default function ConnectionsTab() {
  const qc = useQueryClient();
  const { canEdit } = usePermissions();
  const list = useConnections();
  /** The open form: a new connection (null) or the one edited; undefined when closed. */
  const [editing, setEditing] = useState<Connection | null | undefined>(undefined);
  const [deleting, setDeleting] = useState<Connection | null>(null);
  const [saveErrors, setSaveErrors] = useState<FormErrors<ConnectionFields>>({ fields: {}, form: null });
  const [checks, setChecks] = useState<Record<string, ConnectionCheck>>({});
  const refresh = () => void qc.invalidateQueries({ queryKey: keys.connections });
  const open = (connection: Connection | null) => {
    setSaveErrors({ fields: {}, form: null });
    setEditing(connection);
  };
  const save = useMutation({
    mutationFn: (body: ConnectionCreate | ConnectionUpdate) =>
      editing ? connectionsApi.update(editing.id, body) : connectionsApi.create(body as ConnectionCreate),
    onMutate: () => setSaveErrors({ fields: {}, form: null }),
    onSuccess: (saved) => {
      notify(editing ? 'Connection saved' : 'Connection added', 'success');
      setEditing(undefined);
      setChecks(({ [saved.id]: _stale, ...rest }) => rest);
      refresh();
    },
    onError: (e) => setSaveErrors(formErrors(e, FIELDS, FIELD_OF_CODE)),
  });
  const remove = useMutation({
    mutationFn: (id: string) => connectionsApi.remove(id),
    onSuccess: () => {
      setDeleting(null);
      notify('Connection deleted', 'success');
      refresh();
    },
    onError: (e) => notify(errorMessage(e), 'error'),
  });
  const test = useMutation({
    mutationFn: (id: string) => connectionsApi.test(id),
    onSuccess: (check, id) => setChecks((all) => ({ ...all, [id]: check })),
    onError: (e) => notify(errorMessage(e), 'error'),
  });
  if (list.isPending) return <PageLoader label="Loading connections" />;
  return (
    <Box>
      <Box sx={{ display: 'flex', alignItems: 'center', mb: 2 }}>
        <Typography variant="body2" color="text.secondary" sx={{ flex: 1 }}>
          Databases the sql_query tool reads, always read-only. URLs and passwords are stored encrypted and never shown again.
        </Typography>
        <Button startIcon={<Add />} variant="contained" disabled={!canEdit} onClick={() => open(null)}>
          Add connection
        </Button>
      </Box>
      {list.isError && <Alert severity="error">{errorMessage(list.error)}</Alert>}
      <TableContainer component={Paper} variant="outlined">
        <Table size="small" aria-label="Connections">
          <TableHead>
            <TableRow>
              <TableCell>Name</TableCell>
              <TableCell>Database</TableCell>
              <TableCell>URL</TableCell>
              <TableCell>Password</TableCell>
              <TableCell align="right">Actions</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {list.data?.map((c) => (
              <TableRow key={c.id} data-testid={`connection-row-${c.name}`}>
                <TableCell>
                  {c.name}
                  {c.description && (
                    <Typography variant="caption" color="text.secondary" component="div">
                      {c.description}
                    </Typography>
                  )}
                </TableCell>
                <TableCell>{c.dialect}</TableCell>
                <TableCell sx={{ maxWidth: 360 }}>
                  <code style={{ overflowWrap: 'anywhere' }}>{c.url}</code>
                  <CheckResult check={checks[c.id]} />
                </TableCell>
                <TableCell>{c.has_password ? 'stored' : '—'}</TableCell>
                <TableCell align="right" sx={{ whiteSpace: 'nowrap' }}>
                  <Button size="small" disabled={!canEdit || (test.isPending && test.variables === c.id)} onClick={() => test.mutate(c.id)} aria-label={`Test ${c.name}`}>
                    Test
                  </Button>
                  <IconButton aria-label={`Edit ${c.name}`} disabled={!canEdit} onClick={() => open(c)}>
                    <Edit fontSize="small" />
                  </IconButton>
                  <IconButton aria-label={`Delete ${c.name}`} disabled={!canEdit} onClick={() => setDeleting(c)}>
                    <Delete fontSize="small" />
                  </IconButton>
                </TableCell>
              </TableRow>
            ))}
            {list.data?.length === 0 && <EmptyRow colSpan={5}>No connections yet. Add one to let agents query a database with sql_query.</EmptyRow>}
          </TableBody>
        </Table>
      </TableContainer>
      {editing !== undefined && (
        <ConnectionForm
          editing={editing ?? undefined}
          busy={save.isPending}
          serverErrors={saveErrors.fields}
          error={saveErrors.form}
          onSubmit={(body) => save.mutate(body)}
          onCancel={() => setEditing(undefined)}
        />
      )}
      <ConfirmDialog
        open={Boolean(deleting)}
        title="Delete connection?"
        message={`sql_query tools naming ${deleting?.name ?? ''} will stop working until a connection of that name is added again.`}
        confirmLabel="Delete"
        destructive
        busy={remove.isPending}
        onConfirm={() => deleting && remove.mutate(deleting.id)}
        onCancel={() => setDeleting(null)}
      />
    </Box>
  );
}

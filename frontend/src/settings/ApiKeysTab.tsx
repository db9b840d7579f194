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
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { errorMessage } from '../api/client';
import { apiKeysApi } from '../api/endpoints';
import { keys, usePermissions } from '../api/hooks';
import type { ApiKey } from '../api/types';
import ConfirmDialog from '../common/ConfirmDialog';
import { formatTime } from '../common/format';
import { notify } from '../common/notify';
import PageLoader from '../common/PageLoader';
import { providerLabel } from '../common/providers';
import ApiKeyForm from './ApiKeyForm';
import type { ApiKeyFormValues } from './validation';
import { EmptyRow } from '../common/TableParts';

export default function ApiKeysTab() {
  const qc = useQueryClient();
  const { isGroupAdmin } = usePermissions();
  const list = useQuery({ queryKey: keys.apiKeys, queryFn: apiKeysApi.list });
  const [creating, setCreating] = useState(false);
  const [replacing, setReplacing] = useState<ApiKey | null>(null);
  const [deleting, setDeleting] = useState<ApiKey | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const done = (message: string) => {
    notify(message, 'success');
    setFormError(null);
    void qc.invalidateQueries({ queryKey: keys.apiKeys });
    void qc.invalidateQueries({ queryKey: keys.models });
    void qc.invalidateQueries({ queryKey: keys.tools });
  };
  const create = useMutation({
    mutationFn: (v: ApiKeyFormValues) => apiKeysApi.create(v),
    onSuccess: () => {
      setCreating(false);
      done('API key added');
    },
    onError: (e) => setFormError(errorMessage(e)),
  });
  const replace = useMutation({
    mutationFn: (v: ApiKeyFormValues) => apiKeysApi.update(replacing!.id, { value: v.value }),
    onSuccess: () => {
      setReplacing(null);
      done('API key replaced');
    },
    onError: (e) => setFormError(errorMessage(e)),
  });
  const remove = useMutation({
    mutationFn: (id: string) => apiKeysApi.remove(id),
    onSuccess: () => {
      setDeleting(null);
      done('API key deleted');
    },
    onError: (e) => notify(errorMessage(e), 'error'),
  });
  if (list.isPending) return <PageLoader label="Loading API keys" />;
  return (
    <Box>
      <Box sx={{ display: 'flex', alignItems: 'center', mb: 2 }}>
        <Typography variant="body2" color="text.secondary" sx={{ flex: 1 }}>
          Provider keys of this group, stored encrypted. Runs use them; nobody can read them back.
        </Typography>
        <Button startIcon={<Add />} variant="contained" disabled={!isGroupAdmin} onClick={() => { setFormError(null); setCreating(true); }}>
          Add API key
        </Button>
      </Box>
      {list.isError && <Alert severity="error">{errorMessage(list.error)}</Alert>}
      <TableContainer component={Paper} variant="outlined">
        <Table size="small" aria-label="API keys">
          <TableHead>
            <TableRow>
              <TableCell>Name</TableCell>
              <TableCell>Provider</TableCell>
              <TableCell>Value</TableCell>
              <TableCell>Updated</TableCell>
              <TableCell align="right">Actions</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {list.data?.map((k) => (
              <TableRow key={k.id} data-testid={`api-key-row-${k.id}`}>
                <TableCell>{k.name}</TableCell>
                <TableCell>{providerLabel(k.provider)}</TableCell>
                <TableCell>
                  <code aria-label={`ending in ${k.last4}`}>••••••••{k.last4}</code>
                </TableCell>
                <TableCell>{formatTime(k.updated_at)}</TableCell>
                <TableCell align="right" sx={{ whiteSpace: 'nowrap' }}>
                  <IconButton aria-label={`Replace ${k.name}`} disabled={!isGroupAdmin} onClick={() => { setFormError(null); setReplacing(k); }}>
                    <Edit fontSize="small" />
                  </IconButton>
                  <IconButton aria-label={`Delete ${k.name}`} disabled={!isGroupAdmin} onClick={() => setDeleting(k)}>
                    <Delete fontSize="small" />
                  </IconButton>
                </TableCell>
              </TableRow>
            ))}
            {list.data?.length === 0 && (
              <EmptyRow colSpan={5}>No API keys yet. The offline demo model works without one.</EmptyRow>
            )}
          </TableBody>
        </Table>
      </TableContainer>
      {creating && <ApiKeyForm mode="create" busy={create.isPending} error={formError} onSubmit={(v) => create.mutate(v)} onCancel={() => setCreating(false)} />}
      {replacing && (
        <ApiKeyForm
          mode="replace"
          initial={{ name: replacing.name, provider: replacing.provider }}
          busy={replace.isPending}
          error={formError}
          onSubmit={(v) => replace.mutate(v)}
          onCancel={() => setReplacing(null)}
        />
      )}
      <ConfirmDialog
        open={Boolean(deleting)}
        title="Delete API key?"
        message={`Models and tools using ${deleting ? providerLabel(deleting.provider) : ''} keys will stop working until another key is added.`}
        confirmLabel="Delete"
        destructive
        busy={remove.isPending}
        onConfirm={() => deleting && remove.mutate(deleting.id)}
        onCancel={() => setDeleting(null)}
      />
    </Box>
  );
}

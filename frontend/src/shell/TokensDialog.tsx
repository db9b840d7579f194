import Delete from '@mui/icons-material/Delete';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import IconButton from '@mui/material/IconButton';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { errorMessage } from '../api/client';
import { tokensApi } from '../api/endpoints';
import { keys } from '../api/hooks';
import type { PersonalAccessToken } from '../api/types';
import ConfirmDialog from '../common/ConfirmDialog';
import { formatTime } from '../common/format';
import { notify } from '../common/notify';
import ShownOnce from '../common/ShownOnce';
import { EmptyRow } from '../common/TableParts';

export default function TokensDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const qc = useQueryClient();
  const tokens = useQuery({ queryKey: keys.tokens, queryFn: tokensApi.list, enabled: open });
  const [name, setName] = useState('');
  const [expires, setExpires] = useState('');
  const [nameError, setNameError] = useState<string | null>(null);
  const [created, setCreated] = useState<PersonalAccessToken | null>(null);
  const [revoking, setRevoking] = useState<PersonalAccessToken | null>(null);

  const create = useMutation({
    mutationFn: () =>
      tokensApi.create({ name: name.trim(), expires_at: expires ? new Date(`${expires}T23:59:59Z`).toISOString() : null }),
    onSuccess: (token) => {
      setCreated(token);
      setName('');
      setExpires('');
      void qc.invalidateQueries({ queryKey: keys.tokens });
    },
    onError: (e) => notify(errorMessage(e), 'error'),
  });
  const revoke = useMutation({
    mutationFn: (id: string) => tokensApi.revoke(id),
    onSuccess: () => {
      setRevoking(null);
      notify('Token revoked', 'success');
      void qc.invalidateQueries({ queryKey: keys.tokens });
    },
    onError: (e) => notify(errorMessage(e), 'error'),
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!name.trim()) {
      setNameError('Give the token a name');
      return;
    }
    setNameError(null);
    create.mutate();
  };

  const close = () => {
    setCreated(null);
    onClose();
  };

  return (
    <Dialog open={open} onClose={close} maxWidth="md" fullWidth aria-labelledby="tokens-title">
      <DialogTitle id="tokens-title">Personal access tokens</DialogTitle>
      <DialogContent>
        <Typography variant="body2" color="text.secondary" sx={{ mb: 2 }}>
          Tokens let scripts and the CLI call the API as you. Send them as <code>Authorization: Bearer &lt;token&gt;</code>.
        </Typography>
        {created?.token && <ShownOnce noun="token" label={`Token "${created.name}"`} value={created.token} testId="new-token-value" />}
        <Box component="form" onSubmit={submit} sx={{ display: 'flex', gap: 1, alignItems: 'flex-start', mb: 2 }}>
          <TextField
            label="Token name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            error={Boolean(nameError)}
            helperText={nameError ?? ' '}
            sx={{ flex: 1 }}
          />
          <TextField
            label="Expires on (optional)"
            type="date"
            value={expires}
            onChange={(e) => setExpires(e.target.value)}
            helperText=" "
            slotProps={{ inputLabel: { shrink: true } }}
          />
          <Button type="submit" variant="contained" disabled={create.isPending} sx={{ mt: 0.25 }}>
            Create token
          </Button>
        </Box>
        <Table size="small" aria-label="Personal access tokens">
          <TableHead>
            <TableRow>
              <TableCell>Name</TableCell>
              <TableCell>Created</TableCell>
              <TableCell>Expires</TableCell>
              <TableCell>Last used</TableCell>
              <TableCell align="right">Actions</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {tokens.data?.map((t) => (
              <TableRow key={t.id}>
                <TableCell>{t.name}</TableCell>
                <TableCell>{formatTime(t.created_at)}</TableCell>
                <TableCell>{t.expires_at ? formatTime(t.expires_at) : 'never'}</TableCell>
                <TableCell>{t.last_used_at ? formatTime(t.last_used_at) : 'never'}</TableCell>
                <TableCell align="right">
                  <IconButton aria-label={`Revoke token ${t.name}`} onClick={() => setRevoking(t)}>
                    <Delete />
                  </IconButton>
                </TableCell>
              </TableRow>
            ))}
            {tokens.data?.length === 0 && (
              <EmptyRow colSpan={5}>No tokens yet.</EmptyRow>
            )}
          </TableBody>
        </Table>
        {tokens.isError && <Alert severity="error">{errorMessage(tokens.error)}</Alert>}
      </DialogContent>
      <DialogActions>
        <Button onClick={close}>Close</Button>
      </DialogActions>
      <ConfirmDialog
        open={Boolean(revoking)}
        title="Revoke token?"
        message={`Scripts using "${revoking?.name}" will stop working.`}
        confirmLabel="Revoke"
        destructive
        busy={revoke.isPending}
        onConfirm={() => revoking && revoke.mutate(revoking.id)}
        onCancel={() => setRevoking(null)}
      />
    </Dialog>
  );
}

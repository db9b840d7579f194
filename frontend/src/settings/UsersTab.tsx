import Add from '@mui/icons-material/Add';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import Paper from '@mui/material/Paper';
import Switch from '@mui/material/Switch';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import TextField from '@mui/material/TextField';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { errorMessage } from '../api/client';
import { usersApi } from '../api/endpoints';
import { keys } from '../api/hooks';
import type { User } from '../api/types';
import { useSession } from '../auth/session';
import { formatTime } from '../common/format';
import { notify } from '../common/notify';
import PageLoader from '../common/PageLoader';

export default function UsersTab() {
  const qc = useQueryClient();
  const me = useSession((s) => s.user);
  const users = useQuery({ queryKey: keys.users, queryFn: usersApi.list });
  const [creating, setCreating] = useState(false);
  const update = useMutation({
    mutationFn: ({ id, patch }: { id: string; patch: Partial<Pick<User, 'is_active' | 'is_admin'>> }) => usersApi.update(id, patch),
    onSuccess: () => void qc.invalidateQueries({ queryKey: keys.users }),
    onError: (e) => notify(errorMessage(e), 'error'),
  });
  if (users.isPending) return <PageLoader label="Loading users" />;
  if (users.isError) return <Alert severity="error">{errorMessage(users.error)}</Alert>;
  return (
    <Box>
      <Box sx={{ display: 'flex', justifyContent: 'flex-end', mb: 2 }}>
        <Button startIcon={<Add />} variant="contained" onClick={() => setCreating(true)}>
          New user
        </Button>
      </Box>
      <TableContainer component={Paper} variant="outlined">
        <Table size="small" aria-label="Users">
          <TableHead>
            <TableRow>
              <TableCell>Name</TableCell>
              <TableCell>Email</TableCell>
              <TableCell>Created</TableCell>
              <TableCell>Active</TableCell>
              <TableCell>Admin</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {users.data.map((u) => (
              <TableRow key={u.id}>
                <TableCell>{u.name}</TableCell>
                <TableCell>{u.email}</TableCell>
                <TableCell>{formatTime(u.created_at)}</TableCell>
                <TableCell>
                  <Switch
                    checked={u.is_active}
                    disabled={u.id === me?.id}
                    onChange={() => update.mutate({ id: u.id, patch: { is_active: !u.is_active } })}
                    slotProps={{ input: { 'aria-label': `${u.email} active` } }}
                  />
                </TableCell>
                <TableCell>
                  <Switch
                    checked={u.is_admin}
                    disabled={u.id === me?.id}
                    onChange={() => update.mutate({ id: u.id, patch: { is_admin: !u.is_admin } })}
                    slotProps={{ input: { 'aria-label': `${u.email} admin` } }}
                  />
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </TableContainer>
      {creating && <CreateUserDialog onClose={() => setCreating(false)} />}
    </Box>
  );
}

function CreateUserDialog({ onClose }: { onClose: () => void }) {
  const qc = useQueryClient();
  const [values, setValues] = useState({ email: '', name: '', password: '' });
  const [submitted, setSubmitted] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const errors = {
    email: /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(values.email.trim()) ? null : 'Enter a valid email',
    name: values.name.trim() ? null : 'A name is required',
    password: values.password.length >= 8 ? null : 'At least 8 characters',
  };
  const create = useMutation({
    mutationFn: () => usersApi.create({ email: values.email.trim(), name: values.name.trim(), password: values.password }),
    onSuccess: () => {
      notify('User created', 'success');
      void qc.invalidateQueries({ queryKey: keys.users });
      onClose();
    },
    onError: (e) => setError(errorMessage(e)),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSubmitted(true);
    if (!errors.email && !errors.name && !errors.password) create.mutate();
  };
  const field = (name: 'email' | 'name' | 'password', label: string, type = 'text') => (
    <TextField
      label={label}
      type={type}
      value={values[name]}
      onChange={(e) => setValues((v) => ({ ...v, [name]: e.target.value }))}
      required
      autoComplete={type === 'password' ? 'new-password' : 'off'}
      error={submitted && Boolean(errors[name])}
      helperText={(submitted && errors[name]) || ' '}
    />
  );
  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="sm" aria-labelledby="user-title">
      <form onSubmit={submit} noValidate>
        <DialogTitle id="user-title">New user</DialogTitle>
        <DialogContent sx={{ display: 'flex', flexDirection: 'column', gap: 1, pt: '8px !important' }}>
          {field('email', 'Email')}
          {field('name', 'Name')}
          {field('password', 'Initial password', 'password')}
          {error && <Alert severity="error">{error}</Alert>}
        </DialogContent>
        <DialogActions>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="contained" disabled={create.isPending}>
            Create user
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}

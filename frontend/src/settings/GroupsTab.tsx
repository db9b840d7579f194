import Add from '@mui/icons-material/Add';
import Delete from '@mui/icons-material/Delete';
import PersonRemove from '@mui/icons-material/PersonRemove';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import IconButton from '@mui/material/IconButton';
import List from '@mui/material/List';
import ListItemButton from '@mui/material/ListItemButton';
import ListItemText from '@mui/material/ListItemText';
import MenuItem from '@mui/material/MenuItem';
import Paper from '@mui/material/Paper';
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
import { groupsApi } from '../api/endpoints';
import { keys, useGroups } from '../api/hooks';
import { ROLES, type Group, type Member, type Role } from '../api/types';
import { useSession } from '../auth/session';
import CommitTextField from '../common/CommitTextField';
import ConfirmDialog from '../common/ConfirmDialog';
import { notify } from '../common/notify';
import PageLoader from '../common/PageLoader';
import { groupLabel } from '../shell/groupLabel';

const ROLE_HELP: Record<Role, string> = {
  admin: 'manages members, keys and models',
  editor: 'edits and runs crews',
  operator: 'runs crews, cannot edit',
  viewer: 'read only',
};

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export default function GroupsTab() {
  const qc = useQueryClient();
  const groups = useGroups();
  const activeGroupId = useSession((s) => s.groupId);
  const setGroup = useSession((s) => s.setGroup);
  const user = useSession((s) => s.user);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [newName, setNewName] = useState('');
  const [deleting, setDeleting] = useState<Group | null>(null);
  const selected = groups.data?.find((g) => g.id === (selectedId ?? activeGroupId)) ?? groups.data?.[0];

  const create = useMutation({
    mutationFn: (name: string) => groupsApi.create(name),
    onSuccess: (g) => {
      setNewName('');
      setSelectedId(g.id);
      notify(`Group "${g.name}" created`, 'success');
      void qc.invalidateQueries({ queryKey: keys.groups });
    },
    onError: (e) => notify(errorMessage(e), 'error'),
  });
  const rename = useMutation({
    mutationFn: ({ id, name }: { id: string; name: string }) => groupsApi.update(id, name),
    onSuccess: () => void qc.invalidateQueries({ queryKey: keys.groups }),
    onError: (e) => notify(errorMessage(e), 'error'),
  });
  const remove = useMutation({
    mutationFn: (id: string) => groupsApi.remove(id),
    onSuccess: (_, id) => {
      setDeleting(null);
      setSelectedId(null);
      if (id === activeGroupId && user) setGroup(user.personal_group_id);
      notify('Group deleted', 'success');
      void qc.invalidateQueries({ queryKey: keys.groups });
    },
    onError: (e) => notify(errorMessage(e), 'error'),
  });

  if (groups.isPending) return <PageLoader label="Loading groups" />;
  if (groups.isError) return <Alert severity="error">{errorMessage(groups.error)}</Alert>;

  return (
    <Box sx={{ display: 'flex', gap: 3, alignItems: 'flex-start' }}>
      <Paper variant="outlined" sx={{ width: 300, flexShrink: 0 }}>
        <List aria-label="Groups" dense>
          {groups.data.map((g) => (
            <ListItemButton key={g.id} selected={g.id === selected?.id} onClick={() => setSelectedId(g.id)}>
              <ListItemText primary={groupLabel(g)} secondary={`your role: ${g.role}`} />
              {g.id === activeGroupId && <Chip size="small" label="active" />}
            </ListItemButton>
          ))}
        </List>
        <Box
          component="form"
          onSubmit={(e: FormEvent) => {
            e.preventDefault();
            if (newName.trim()) create.mutate(newName.trim());
          }}
          sx={{ display: 'flex', gap: 1, p: 1.5, borderTop: 1, borderColor: 'divider' }}
        >
          <TextField label="New group name" value={newName} onChange={(e) => setNewName(e.target.value)} sx={{ flex: 1 }} />
          <IconButton type="submit" aria-label="Create group" disabled={!newName.trim() || create.isPending}>
            <Add />
          </IconButton>
        </Box>
      </Paper>
      {selected && (
        <Box sx={{ flex: 1, minWidth: 0 }}>
          <Box sx={{ display: 'flex', gap: 1, alignItems: 'flex-start', mb: 2 }}>
            <CommitTextField
              label="Group name"
              value={selected.name}
              key={selected.id}
              disabled={selected.role !== 'admin' || selected.is_personal}
              validate={(v) => (v.trim() ? null : 'A name is required')}
              onCommit={(name) => rename.mutate({ id: selected.id, name: name.trim() })}
              sx={{ flex: 1 }}
            />
            {selected.id !== activeGroupId && (
              <Button onClick={() => setGroup(selected.id)} sx={{ mt: 0.5 }}>
                Switch to this group
              </Button>
            )}
            <Button color="error" startIcon={<Delete />} disabled={selected.role !== 'admin' || selected.is_personal} onClick={() => setDeleting(selected)} sx={{ mt: 0.5 }}>
              Delete group
            </Button>
          </Box>
          <Members group={selected} />
        </Box>
      )}
      <ConfirmDialog
        open={Boolean(deleting)}
        title="Delete group?"
        message={`"${deleting?.name}" and all its crews, executions and keys will be deleted for every member.`}
        confirmLabel="Delete group"
        destructive
        busy={remove.isPending}
        onConfirm={() => deleting && remove.mutate(deleting.id)}
        onCancel={() => setDeleting(null)}
      />
    </Box>
  );
}

function Members({ group }: { group: Group }) {
  const qc = useQueryClient();
  const isAdmin = group.role === 'admin';
  const members = useQuery({ queryKey: keys.members(group.id), queryFn: () => groupsApi.members(group.id) });
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('editor');
  const [emailError, setEmailError] = useState<string | null>(null);
  const [removing, setRemoving] = useState<Member | null>(null);
  const refresh = () => void qc.invalidateQueries({ queryKey: keys.members(group.id) });
  const add = useMutation({
    mutationFn: () => groupsApi.addMember(group.id, email.trim(), role),
    onSuccess: () => {
      setEmail('');
      notify('Member added', 'success');
      refresh();
    },
    onError: (e) => setEmailError(errorMessage(e)),
  });
  const setMemberRole = useMutation({
    mutationFn: ({ userId, r }: { userId: string; r: Role }) => groupsApi.setRole(group.id, userId, r),
    onSuccess: refresh,
    onError: (e) => notify(errorMessage(e), 'error'),
  });
  const removeMember = useMutation({
    mutationFn: (userId: string) => groupsApi.removeMember(group.id, userId),
    onSuccess: () => {
      setRemoving(null);
      refresh();
    },
    onError: (e) => notify(errorMessage(e), 'error'),
  });
  return (
    <Box>
      <Typography variant="subtitle1" component="h2" gutterBottom>
        Members
      </Typography>
      {members.isError && <Alert severity="error">{errorMessage(members.error)}</Alert>}
      <Paper variant="outlined" sx={{ mb: 2 }}>
        <Table size="small" aria-label="Members">
          <TableHead>
            <TableRow>
              <TableCell>Name</TableCell>
              <TableCell>Email</TableCell>
              <TableCell>Role</TableCell>
              <TableCell align="right">Actions</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {members.data?.map((m) => (
              <TableRow key={m.user_id}>
                <TableCell>{m.name}</TableCell>
                <TableCell>{m.email}</TableCell>
                <TableCell>
                  <TextField
                    select
                    value={m.role}
                    disabled={!isAdmin || group.is_personal}
                    onChange={(e) => setMemberRole.mutate({ userId: m.user_id, r: e.target.value as Role })}
                    slotProps={{ htmlInput: { 'aria-label': `Role of ${m.email}` } }}
                    sx={{ minWidth: 140 }}
                  >
                    {ROLES.map((r) => (
                      <MenuItem key={r} value={r}>
                        {r}
                      </MenuItem>
                    ))}
                  </TextField>
                </TableCell>
                <TableCell align="right">
                  <IconButton aria-label={`Remove ${m.email}`} disabled={!isAdmin || group.is_personal} onClick={() => setRemoving(m)}>
                    <PersonRemove fontSize="small" />
                  </IconButton>
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </Paper>
      {isAdmin && !group.is_personal && (
        <Box
          component="form"
          noValidate
          onSubmit={(e: FormEvent) => {
            e.preventDefault();
            if (!EMAIL.test(email.trim())) {
              setEmailError('Enter the email of an existing user');
              return;
            }
            setEmailError(null);
            add.mutate();
          }}
          sx={{ display: 'flex', gap: 1, alignItems: 'flex-start' }}
        >
          <TextField label="Member email" value={email} onChange={(e) => setEmail(e.target.value)} error={Boolean(emailError)} helperText={emailError ?? ' '} sx={{ flex: 1 }} />
          <TextField select label="Role" value={role} onChange={(e) => setRole(e.target.value as Role)} helperText={ROLE_HELP[role]} sx={{ width: 220 }}>
            {ROLES.map((r) => (
              <MenuItem key={r} value={r}>
                {r}
              </MenuItem>
            ))}
          </TextField>
          <Button type="submit" variant="contained" disabled={add.isPending} sx={{ mt: 0.25 }}>
            Add member
          </Button>
        </Box>
      )}
      {group.is_personal && (
        <Typography variant="body2" color="text.secondary">
          A personal group has only you. Create a group to share crews.
        </Typography>
      )}
      <ConfirmDialog
        open={Boolean(removing)}
        title="Remove member?"
        message={`${removing?.email} will lose access to this group.`}
        confirmLabel="Remove"
        destructive
        busy={removeMember.isPending}
        onConfirm={() => removing && removeMember.mutate(removing.user_id)}
        onCancel={() => setRemoving(null)}
      />
    </Box>
  );
}

/**
 * What a crew remembers across runs (memory `crew` or `group`): the newest memories, or with a
 * search the closest ones and their scores; editors can forget one or reset the whole scope.
 */
import Delete from '@mui/icons-material/Delete';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import IconButton from '@mui/material/IconButton';
import List from '@mui/material/List';
import ListItem from '@mui/material/ListItem';
import ListItemText from '@mui/material/ListItemText';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { errorMessage } from '../api/client';
import { memoryApi } from '../api/endpoints';
import type { SharedMemoryScope } from '../api/types';
import ConfirmDialog from '../common/ConfirmDialog';
import { notify } from '../common/notify';

interface Props {
  crewId: string;
  scope: SharedMemoryScope;
  readOnly: boolean;
}

export default function MemoryPanel({ crewId, scope, readOnly }: Props) {
  const qc = useQueryClient();
  const [draft, setDraft] = useState('');
  const [q, setQ] = useState('');
  const [confirming, setConfirming] = useState(false);
  const key = ['memory', crewId, scope] as const;
  const memories = useQuery({
    queryKey: [...key, q],
    queryFn: ({ signal }) => memoryApi.list(crewId, scope, q, signal),
  });
  const refresh = () => qc.invalidateQueries({ queryKey: key });
  const remove = useMutation({
    mutationFn: (id: string) => memoryApi.remove(id, crewId, scope),
    onSuccess: refresh,
    onError: (e) => notify(errorMessage(e), 'error'),
  });
  const reset = useMutation({
    mutationFn: () => memoryApi.reset(crewId, scope),
    onSuccess: (r) => {
      setConfirming(false);
      notify(`Forgot ${r.deleted} memories`, 'success');
      void refresh();
    },
    onError: (e) => notify(errorMessage(e), 'error'),
  });
  const items = memories.data?.items ?? [];
  return (
    <Box component="section" aria-label="Memory">
      <Typography variant="subtitle2" component="h3" gutterBottom>
        Memory ({scope === 'group' ? "the group's" : "this crew's"}: {memories.data?.total ?? 0})
      </Typography>
      <Box component="form" role="search" onSubmit={(e) => { e.preventDefault(); setQ(draft.trim()); }} sx={{ display: 'flex', gap: 1, mb: 1 }}>
        <TextField size="small" label="Search memory" value={draft} onChange={(e) => setDraft(e.target.value)} fullWidth />
        <Button type="submit" variant="outlined">Search</Button>
      </Box>
      {memories.isError && <Typography color="error" variant="body2">{errorMessage(memories.error)}</Typography>}
      {memories.isSuccess && items.length === 0 && (
        <Typography variant="body2" color="text.secondary">{q ? 'No memory matches.' : 'Nothing remembered yet.'}</Typography>
      )}
      <List dense aria-label="Memories">
        {items.map((m) => (
          <ListItem
            key={m.id}
            disableGutters
            secondaryAction={
              readOnly ? null : (
                <IconButton edge="end" aria-label={`Forget "${m.text.slice(0, 40)}"`} onClick={() => remove.mutate(m.id)} disabled={remove.isPending}>
                  <Delete fontSize="small" />
                </IconButton>
              )
            }
          >
            <ListItemText
              primary={m.text}
              secondary={[m.score != null ? `score ${m.score.toFixed(2)}` : null, new Date(m.created_at).toLocaleString()].filter(Boolean).join(' · ')}
            />
          </ListItem>
        ))}
      </List>
      {!readOnly && (
        <Button color="error" size="small" onClick={() => setConfirming(true)} disabled={!memories.data?.total}>
          Reset memory
        </Button>
      )}
      <ConfirmDialog
        open={confirming}
        title="Reset memory?"
        message={`Every memory ${scope === 'group' ? "of the group's crews" : 'of this crew'} is forgotten. This cannot be undone.`}
        confirmLabel="Reset"
        destructive
        busy={reset.isPending}
        onConfirm={() => reset.mutate()}
        onCancel={() => setConfirming(false)}
      />
    </Box>
  );
}

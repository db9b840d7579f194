import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import MenuItem from '@mui/material/MenuItem';
import TextField from '@mui/material/TextField';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { errorMessage } from '../api/client';
import { crewsApi } from '../api/endpoints';
import { keys, useLibraryAgents, useModels } from '../api/hooks';
import type { ChatCreate } from '../api/types';

interface Props {
  open: boolean;
  busy: boolean;
  error: unknown;
  onCreate: (body: ChatCreate) => void;
  onClose: () => void;
}

/** Pick what to talk to: a crew, or an agent of the group's library; and optionally a model. */
export default function NewChatDialog({ open, busy, error, onCreate, onClose }: Props) {
  const crews = useQuery({ queryKey: [...keys.crews, 'chat-targets'], queryFn: () => crewsApi.list({ limit: 200 }), enabled: open });
  const agents = useLibraryAgents(open);
  const models = useModels();
  const [target, setTarget] = useState('');
  const [model, setModel] = useState('');
  const chatModels = (models.data ?? []).filter((m) => m.kind === 'chat' && m.enabled);

  const submit = () => {
    const [kind, id] = target.split(':');
    onCreate({ ...(kind === 'crew' ? { crew_id: id } : { agent_id: id }), model: model || null });
  };

  return (
    <Dialog open={open} onClose={onClose} fullWidth maxWidth="sm">
      <DialogTitle>New chat</DialogTitle>
      <DialogContent sx={{ display: 'flex', flexDirection: 'column', gap: 2, pt: '8px !important' }}>
        <TextField select label="Talk to" value={target} onChange={(e) => setTarget(e.target.value)} required>
          {(crews.data?.items ?? []).map((c) => (
            <MenuItem key={c.id} value={`crew:${c.id}`}>
              Crew: {c.name}
            </MenuItem>
          ))}
          {(agents.data ?? []).map((a) => (
            <MenuItem key={a.id} value={`agent:${a.id}`}>
              Agent: {a.role || 'Untitled agent'}
            </MenuItem>
          ))}
        </TextField>
        <TextField
          select
          label="Model"
          value={model}
          onChange={(e) => setModel(e.target.value)}
          helperText="Every agent of the chat uses this model; leave empty for their own"
        >
          <MenuItem value="">Each agent's own model</MenuItem>
          {chatModels.map((m) => (
            <MenuItem key={m.key} value={m.key}>
              {m.label}
            </MenuItem>
          ))}
        </TextField>
        {Boolean(error) && <Alert severity="error">{errorMessage(error)}</Alert>}
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Cancel</Button>
        <Button variant="contained" disabled={!target || busy} onClick={submit}>
          Start chat
        </Button>
      </DialogActions>
    </Dialog>
  );
}


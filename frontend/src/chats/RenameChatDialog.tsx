import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import TextField from '@mui/material/TextField';
import { useState } from 'react';
import type { Chat } from '../api/types';

interface Props {
  chat: Chat | null;
  busy: boolean;
  onRename: (title: string) => void;
  onClose: () => void;
}

export default function RenameChatDialog({ chat, busy, onRename, onClose }: Props) {
  return (
    <Dialog open={chat !== null} onClose={onClose} fullWidth maxWidth="xs">
      {chat && <RenameForm key={chat.id} initial={chat.title} busy={busy} onRename={onRename} onClose={onClose} />}
    </Dialog>
  );
}

function RenameForm({ initial, busy, onRename, onClose }: { initial: string } & Omit<Props, 'chat'>) {
  const [title, setTitle] = useState(initial);
  const valid = title.trim().length > 0 && title.trim().length <= 200;
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        if (valid) onRename(title.trim());
      }}
    >
      <DialogTitle>Rename chat</DialogTitle>
      <DialogContent>
        <TextField autoFocus fullWidth margin="dense" label="Title" value={title} onChange={(e) => setTitle(e.target.value)} slotProps={{ htmlInput: { maxLength: 200 } }} />
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Cancel</Button>
        <Button type="submit" variant="contained" disabled={!valid || busy}>
          Rename
        </Button>
      </DialogActions>
    </form>
  );
}

import Add from '@mui/icons-material/Add';
import Delete from '@mui/icons-material/Delete';
import Edit from '@mui/icons-material/Edit';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import IconButton from '@mui/material/IconButton';
import List from '@mui/material/List';
import ListItem from '@mui/material/ListItem';
import ListItemButton from '@mui/material/ListItemButton';
import ListItemText from '@mui/material/ListItemText';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { errorMessage } from '../api/client';
import { chatsApi } from '../api/endpoints';
import { keys, usePermissions } from '../api/hooks';
import type { Chat, ChatCreate } from '../api/types';
import ConfirmDialog from '../common/ConfirmDialog';
import { notify } from '../common/notify';
import ChatView from './ChatView';
import NewChatDialog from './NewChatDialog';
import RenameChatDialog from './RenameChatDialog';

/** Chats with crews and agents: the caller's sessions on the left, the open one on the right. */
export default function ChatsPage() {
  const { chatId } = useParams();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const { canRun } = usePermissions();
  const chats = useQuery({ queryKey: keys.chats, queryFn: chatsApi.list });
  const [creating, setCreating] = useState(false);
  const [renaming, setRenaming] = useState<Chat | null>(null);
  const [deleting, setDeleting] = useState<Chat | null>(null);

  const create = useMutation({
    mutationFn: (body: ChatCreate) => chatsApi.create(body),
    onSuccess: (chat) => {
      void qc.invalidateQueries({ queryKey: keys.chats, exact: true });
      setCreating(false);
      void navigate(`/chats/${chat.id}`);
    },
  });
  const rename = useMutation({
    mutationFn: ({ id, title }: { id: string; title: string }) => chatsApi.update(id, { title }),
    onSuccess: (chat) => {
      qc.setQueryData([...keys.chats, chat.id], chat);
      void qc.invalidateQueries({ queryKey: keys.chats, exact: true });
      setRenaming(null);
    },
    onError: (e) => notify(errorMessage(e), 'error'),
  });
  const remove = useMutation({
    mutationFn: (id: string) => chatsApi.remove(id),
    onSuccess: (_, id) => {
      setDeleting(null);
      if (id === chatId) void navigate('/chats');
      void qc.invalidateQueries({ queryKey: keys.chats, exact: true });
    },
    onError: (e) => notify(errorMessage(e), 'error'),
  });

  return (
    <Box sx={{ display: 'flex', flex: 1, minHeight: 0 }}>
      <Box component="aside" aria-label="Chats" sx={{ width: 300, borderRight: 1, borderColor: 'divider', display: 'flex', flexDirection: 'column' }}>
        <Box sx={{ p: 2, pb: 1 }}>
          <Button variant="contained" fullWidth startIcon={<Add />} disabled={!canRun} onClick={() => setCreating(true)}>
            New chat
          </Button>
        </Box>
        <List dense sx={{ overflow: 'auto', flex: 1 }}>
          {(chats.data ?? []).map((chat) => (
            <ListItem
              key={chat.id}
              disablePadding
              secondaryAction={
                <>
                  <Tooltip title="Rename">
                    <IconButton size="small" aria-label={`Rename ${chat.title}`} onClick={() => setRenaming(chat)}>
                      <Edit fontSize="small" />
                    </IconButton>
                  </Tooltip>
                  <Tooltip title="Delete">
                    <IconButton size="small" aria-label={`Delete ${chat.title}`} onClick={() => setDeleting(chat)}>
                      <Delete fontSize="small" />
                    </IconButton>
                  </Tooltip>
                </>
              }
            >
              <ListItemButton component={Link} to={`/chats/${chat.id}`} selected={chat.id === chatId} sx={{ pr: 10 }}>
                <ListItemText primary={chat.title} secondary={`${chat.target_kind === 'crew' ? 'Crew' : 'Agent'}: ${chat.target_name}`} slotProps={{ primary: { noWrap: true }, secondary: { noWrap: true } }} />
              </ListItemButton>
            </ListItem>
          ))}
          {chats.data?.length === 0 && (
            <Typography variant="body2" color="text.secondary" sx={{ px: 2 }}>
              No chats yet. Start one with a crew or an agent.
            </Typography>
          )}
        </List>
      </Box>
      <Box sx={{ flex: 1, minWidth: 0, display: 'flex', flexDirection: 'column' }}>
        {chatId ? (
          <ChatView key={chatId} chatId={chatId} />
        ) : (
          <Box sx={{ m: 'auto', textAlign: 'center', color: 'text.secondary' }}>
            <Typography variant="h6">Talk to a crew or an agent</Typography>
            <Typography variant="body2">Every message runs it once, with the conversation so far as context.</Typography>
          </Box>
        )}
      </Box>
      <NewChatDialog open={creating} busy={create.isPending} error={create.error} onCreate={(body) => create.mutate(body)} onClose={() => setCreating(false)} />
      <RenameChatDialog
        chat={renaming}
        busy={rename.isPending}
        onRename={(title) => renaming && rename.mutate({ id: renaming.id, title })}
        onClose={() => setRenaming(null)}
      />
      <ConfirmDialog
        open={deleting !== null}
        title="Delete chat"
        message={`Delete “${deleting?.title ?? ''}” and its messages? The runs that answered stay in Executions.`}
        confirmLabel="Delete"
        destructive
        busy={remove.isPending}
        onConfirm={() => deleting && remove.mutate(deleting.id)}
        onCancel={() => setDeleting(null)}
      />
    </Box>
  );
}

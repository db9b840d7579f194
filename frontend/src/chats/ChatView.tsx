import Save from '@mui/icons-material/Save';
import Send from '@mui/icons-material/Send';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useNavigate } from 'react-router';
import { errorMessage } from '../api/client';
import { chatsApi } from '../api/endpoints';
import { keys, usePermissions } from '../api/hooks';
import { notify } from '../common/notify';
import PageLoader from '../common/PageLoader';
import { isTerminal } from '../run/events';
import { useRunStream } from '../run/useRunStream';
import ChatMessageView from './ChatMessageView';

/** One chat: the talk so far, the answer being written (streamed from its run), the composer. */
export default function ChatView({ chatId }: { chatId: string }) {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const { canRun, canEdit } = usePermissions();
  const chat = useQuery({ queryKey: [...keys.chats, chatId], queryFn: () => chatsApi.get(chatId) });
  const messages = useQuery({ queryKey: keys.chatMessages(chatId), queryFn: () => chatsApi.messages(chatId) });
  const [draft, setDraft] = useState('');
  const bottom = useRef<HTMLDivElement>(null);

  const pending = messages.data?.find((m) => m.status === 'pending') ?? null;
  const { state: live } = useRunStream(pending?.execution_id ?? null, []);
  const ended = live !== null && isTerminal(live.status);
  useEffect(() => {
    // The run ended: its answer is now stored with the message.
    if (ended) void qc.invalidateQueries({ queryKey: keys.chatMessages(chatId) });
  }, [ended, chatId, qc]);
  const streamedLength = live?.log.length ?? 0;
  useEffect(() => {
    bottom.current?.scrollIntoView?.({ block: 'end' });
  }, [messages.data?.length, streamedLength]);

  const say = useMutation({
    mutationFn: (content: string) => chatsApi.say(chatId, content),
    onSuccess: () => {
      setDraft('');
      void qc.invalidateQueries({ queryKey: keys.chatMessages(chatId) });
      void qc.invalidateQueries({ queryKey: keys.chats, exact: true });
    },
  });
  const save = useMutation({
    mutationFn: () => chatsApi.saveAsCrew(chatId),
    onSuccess: (crew) => {
      notify(`Saved as the crew “${crew.name}”`, 'success');
      void qc.invalidateQueries({ queryKey: keys.crews });
      void navigate(`/crews/${crew.id}`);
    },
    onError: (e) => notify(errorMessage(e), 'error'),
  });

  if (chat.isLoading || messages.isLoading) return <PageLoader />;
  if (chat.error) return <Alert severity="error" sx={{ m: 2 }}>{errorMessage(chat.error)}</Alert>;
  const send = () => {
    const content = draft.trim();
    if (content && !say.isPending && pending === null) say.mutate(content);
  };
  const gone = chat.data && chat.data.crew_id === null && chat.data.agent_id === null;

  return (
    <Box sx={{ display: 'flex', flexDirection: 'column', flex: 1, minHeight: 0 }}>
      <Box sx={{ display: 'flex', alignItems: 'center', gap: 1, px: 2, py: 1, borderBottom: 1, borderColor: 'divider' }}>
        <Box sx={{ flex: 1, minWidth: 0 }}>
          <Typography variant="subtitle1" component="h1" noWrap>
            {chat.data?.title}
          </Typography>
          <Typography variant="caption" color="text.secondary">
            {chat.data?.target_kind === 'crew' ? 'Crew' : 'Agent'}: {chat.data?.target_name}
            {chat.data?.model ? ` · model ${chat.data.model}` : ''}
          </Typography>
        </Box>
        <Button size="small" startIcon={<Save />} disabled={!canEdit || save.isPending || !messages.data?.length || Boolean(gone)} onClick={() => save.mutate()}>
          Save as crew
        </Button>
      </Box>
      <Box sx={{ flex: 1, overflow: 'auto', p: 2, display: 'flex', flexDirection: 'column', gap: 2 }} data-testid="chat-messages">
        {messages.data?.length === 0 && (
          <Typography variant="body2" color="text.secondary" sx={{ m: 'auto' }}>
            Say something: the {chat.data?.target_kind} answers with the conversation so far as context.
          </Typography>
        )}
        {(messages.data ?? []).map((m) => (
          <ChatMessageView key={m.id} message={m} live={m.id === pending?.id ? live : null} />
        ))}
        <div ref={bottom} />
      </Box>
      <Box sx={{ p: 2, pt: 1, borderTop: 1, borderColor: 'divider' }}>
        {say.error && (
          <Alert severity="error" sx={{ mb: 1 }}>
            {errorMessage(say.error)}
          </Alert>
        )}
        {gone && (
          <Alert severity="info" sx={{ mb: 1 }}>
            {chat.data?.target_name} was deleted: this chat can be read, not continued.
          </Alert>
        )}
        <Box sx={{ display: 'flex', gap: 1, alignItems: 'flex-end' }}>
          <TextField
            fullWidth
            multiline
            maxRows={8}
            size="small"
            label="Message"
            placeholder="Ask something… (Enter sends, Shift+Enter breaks the line)"
            value={draft}
            disabled={!canRun || Boolean(gone)}
            onChange={(e) => setDraft(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && !e.shiftKey) {
                e.preventDefault();
                send();
              }
            }}
          />
          <Button variant="contained" endIcon={<Send />} onClick={send} disabled={!canRun || !draft.trim() || say.isPending || pending !== null || Boolean(gone)}>
            Send
          </Button>
        </Box>
      </Box>
    </Box>
  );
}

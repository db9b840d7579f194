import OpenInNew from '@mui/icons-material/OpenInNew';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Collapse from '@mui/material/Collapse';
import LinearProgress from '@mui/material/LinearProgress';
import Paper from '@mui/material/Paper';
import Typography from '@mui/material/Typography';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { executionsApi } from '../api/endpoints';
import type { ChatMessage } from '../api/types';
import Markdown from '../common/Markdown';
import type { LogLine, RunState } from '../run/events';
import { streamedAnswer, toolCalls, toolCallsOf } from './answer';

interface Props {
  message: ChatMessage;
  /** The run of this message while it is being written. */
  live: RunState | null;
}

export default function ChatMessageView({ message, live }: Props) {
  if (message.role === 'user') {
    return (
      <Box sx={{ display: 'flex', justifyContent: 'flex-end' }} data-testid="chat-message-user">
        <Paper variant="outlined" sx={{ px: 2, py: 1, maxWidth: '75%', bgcolor: 'action.hover', whiteSpace: 'pre-wrap' }}>
          <Typography variant="body2">{message.content}</Typography>
        </Paper>
      </Box>
    );
  }
  const pending = message.status === 'pending';
  const text = pending ? streamedAnswer(live) : message.content;
  return (
    <Box sx={{ maxWidth: '85%' }} data-testid="chat-message-assistant" data-status={message.status}>
      {message.omitted > 0 && (
        <Typography variant="caption" color="text.secondary" component="p">
          {message.omitted} earlier message{message.omitted === 1 ? ' was' : 's were'} left out to fit the model's context window.
        </Typography>
      )}
      {text && <Markdown>{text}</Markdown>}
      {pending && <LinearProgress aria-label="Answer in progress" sx={{ my: 1 }} />}
      {message.status === 'failed' && (
        <Alert severity="error" sx={{ my: 1 }}>
          {message.error ?? 'The run failed'}
        </Alert>
      )}
      {message.execution_id && (
        <Box sx={{ display: 'flex', flexWrap: 'wrap', alignItems: 'center' }}>
          <Button size="small" component={Link} to={`/executions/${message.execution_id}`} endIcon={<OpenInNew fontSize="small" />}>
            Open run
          </Button>
          <ToolCalls executionId={message.execution_id} live={pending ? live : null} />
        </Box>
      )}
    </Box>
  );
}

/** The turn's tool calls, collapsed: live from the stream, or loaded once opened. */
function ToolCalls({ executionId, live }: { executionId: string; live: RunState | null }) {
  const [open, setOpen] = useState(false);
  const stored = useQuery({
    queryKey: ['execution', executionId, 'tool-calls'],
    queryFn: async () => toolCallsOf(executionId, (await executionsApi.events(executionId, 0, 0)).items),
    enabled: open && live === null,
  });
  const calls: LogLine[] = live ? toolCalls(live.log) : (stored.data ?? []);
  const label = live || stored.data ? `Tool calls (${calls.length})` : 'Tool calls';
  return (
    <>
      <Button size="small" onClick={() => setOpen((o) => !o)} aria-expanded={open}>
        {open ? `Hide ${label.toLowerCase()}` : label}
      </Button>
      <Collapse in={open} unmountOnExit sx={{ width: '100%' }}>
        <Box component="ul" sx={{ m: 0, pl: 3 }} data-testid="chat-tool-calls">
          {calls.map((line) => (
            <Typography component="li" variant="caption" key={line.id} color={line.level === 'error' ? 'error' : 'text.secondary'} sx={{ fontFamily: 'monospace' }}>
              {line.text}
            </Typography>
          ))}
          {calls.length === 0 && !stored.isLoading && (
            <Typography component="li" variant="caption" color="text.secondary">
              No tool was called in this turn.
            </Typography>
          )}
        </Box>
      </Collapse>
    </>
  );
}

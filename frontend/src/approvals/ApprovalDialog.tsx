import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import Paper from '@mui/material/Paper';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { approvalsApi, type Approval, type ApprovalAnswer } from '../api/approvals';
import { errorMessage } from '../api/client';
import type { Decision } from '../api/flows';
import { keys } from '../api/hooks';
import { formatTime } from '../common/format';
import Markdown from '../common/Markdown';
import { notify } from '../common/notify';
import PageLoader from '../common/PageLoader';
import { answerError } from './answerError';
import { statusLabel } from './statusLabel';

interface Props {
  /** The request to show; null closes the dialog. */
  approvalId: string | null;
  onClose: () => void;
  onAnswered?: (approval: Approval) => void;
}

const LABEL: Record<Decision, string> = { approve: 'Approve', reject: 'Reject', reply: 'Send reply' };
const COLOR: Record<Decision, 'success' | 'error' | 'primary'> = { approve: 'success', reject: 'error', reply: 'primary' };

/** One approval request: the output under review (Markdown) and the answers it allows. */
export default function ApprovalDialog({ approvalId, onClose, onAnswered }: Props) {
  return (
    <Dialog open={approvalId !== null} onClose={onClose} fullWidth maxWidth="md" aria-labelledby="approval-title">
      {approvalId && <ApprovalBody approvalId={approvalId} onClose={onClose} onAnswered={onAnswered} />}
    </Dialog>
  );
}

function ApprovalBody({ approvalId, onClose, onAnswered }: { approvalId: string; onClose: () => void; onAnswered?: (a: Approval) => void }) {
  const qc = useQueryClient();
  const approval = useQuery({ queryKey: keys.approval(approvalId), queryFn: () => approvalsApi.get(approvalId) });
  const [comment, setComment] = useState('');
  const [reply, setReply] = useState('');
  const [error, setError] = useState<string | null>(null);
  const answer = useMutation({
    mutationFn: (body: ApprovalAnswer) => approvalsApi.answer(approvalId, body),
    onSuccess: (answered) => {
      qc.setQueryData(keys.approval(approvalId), answered);
      void qc.invalidateQueries({ queryKey: keys.approvals });
      void qc.invalidateQueries({ queryKey: keys.executions });
      notify(`Answered: ${answered.decision ?? answered.status}`, 'success');
      onAnswered?.(answered);
      onClose();
    },
    onError: (e) => {
      setError(answerError(e, approval.data));
      // Someone else answered first: show what they answered.
      void qc.invalidateQueries({ queryKey: keys.approval(approvalId) });
    },
  });

  if (approval.isError) {
    return (
      <>
        <DialogTitle id="approval-title">Approval</DialogTitle>
        <DialogContent>
          <Alert severity="error">{errorMessage(approval.error)}</Alert>
        </DialogContent>
        <DialogActions>
          <Button onClick={onClose}>Close</Button>
        </DialogActions>
      </>
    );
  }
  if (!approval.data) return <PageLoader label="Loading approval" />;
  const a = approval.data;
  const pending = a.status === 'pending';
  const send = (decision: Decision) => {
    setError(null);
    if (decision === 'reply' && !reply.trim()) {
      setError('Write the reply first: it is sent back as feedback.');
      return;
    }
    answer.mutate({
      decision,
      ...(comment.trim() ? { comment: comment.trim() } : {}),
      ...(decision === 'reply' ? { reply: reply.trim() } : {}),
    });
  };
  const where = [a.step_key && `step ${a.step_key}`, a.task_key && `task ${a.task_key}`].filter(Boolean).join(' · ');
  return (
    <>
      <DialogTitle id="approval-title">{a.question}</DialogTitle>
      <DialogContent>
        <Box sx={{ display: 'flex', flexWrap: 'wrap', alignItems: 'center', gap: 1, mb: 2 }}>
          <Typography variant="body2" color="text.secondary">
            {a.execution_name}
            {where ? ` · ${where}` : ''} · asked {formatTime(a.created_at)}
          </Typography>
          <Chip size="small" label={statusLabel(a)} color={pending ? 'warning' : 'default'} data-testid="approval-status" />
          {pending && a.timeout_at && <Chip size="small" variant="outlined" label={`${a.on_timeout} at ${formatTime(a.timeout_at)} if unanswered`} />}
        </Box>
        <Typography variant="subtitle2" component="h3">
          Output under review
        </Typography>
        <Paper variant="outlined" sx={{ p: 2, mb: 2, maxHeight: 420, overflow: 'auto' }} data-testid="approval-output">
          {a.output ? <Markdown>{a.output}</Markdown> : <Typography color="text.secondary">No output.</Typography>}
        </Paper>
        {pending ? (
          <Box sx={{ display: 'flex', flexDirection: 'column', gap: 1 }}>
            {a.answers.includes('reply') && (
              <TextField
                label="Reply"
                helperText="Sent back as feedback: the step runs again with it, then asks again."
                value={reply}
                onChange={(e) => setReply(e.target.value)}
                multiline
                minRows={2}
              />
            )}
            <TextField label="Comment" value={comment} onChange={(e) => setComment(e.target.value)} multiline minRows={1} helperText="Optional: kept with the answer." />
          </Box>
        ) : a.status === 'closed' ? (
          <Alert severity="info" data-testid="approval-answer">
            Closed: the run ended before anyone answered{a.answered_at ? ` (${formatTime(a.answered_at)})` : ''}, so there is nothing to answer any more.
          </Alert>
        ) : (
          <Alert severity="info" data-testid="approval-answer">
            {a.timed_out ? 'Timed out: ' : 'Answered: '}
            <strong>{a.decision ?? a.status}</strong>
            {a.answered_at ? ` at ${formatTime(a.answered_at)}` : ''}
            {a.reply ? ` · reply: ${a.reply}` : ''}
            {a.comment ? ` · comment: ${a.comment}` : ''}
          </Alert>
        )}
        {error && (
          <Alert severity="error" role="alert" sx={{ mt: 1 }}>
            {error}
          </Alert>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>{pending ? 'Later' : 'Close'}</Button>
        {pending &&
          a.answers.map((d) => (
            <Button key={d} variant={d === 'reject' ? 'outlined' : 'contained'} color={COLOR[d]} disabled={answer.isPending} onClick={() => send(d)}>
              {LABEL[d]}
            </Button>
          ))}
      </DialogActions>
    </>
  );
}

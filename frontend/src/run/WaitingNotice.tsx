import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import { useState } from 'react';
import ApprovalDialog from '../approvals/ApprovalDialog';
import type { WaitingFor } from './events';

/** A paused run: where it waits, what it asks, and a button that opens the answer dialog. */
export default function WaitingNotice({ waiting }: { waiting: WaitingFor }) {
  const [answering, setAnswering] = useState(false);
  return (
    <>
      <Alert
        severity="warning"
        sx={{ mt: 1 }}
        data-testid="run-waiting"
        action={
          waiting.approvalId ? (
            <Button color="inherit" size="small" onClick={() => setAnswering(true)}>
              Answer
            </Button>
          ) : undefined
        }
      >
        Waiting at {[waiting.stepKey, waiting.taskKey].filter(Boolean).join(' › ') || 'a review'}: {waiting.question}
      </Alert>
      <ApprovalDialog approvalId={answering ? waiting.approvalId : null} onClose={() => setAnswering(false)} />
    </>
  );
}

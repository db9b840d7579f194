import Close from '@mui/icons-material/Close';
import OpenInNew from '@mui/icons-material/OpenInNew';
import Stop from '@mui/icons-material/Stop';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import IconButton from '@mui/material/IconButton';
import LinearProgress from '@mui/material/LinearProgress';
import Tab from '@mui/material/Tab';
import Tabs from '@mui/material/Tabs';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import { useState } from 'react';
import { Link } from 'react-router';
import StatusChip from '../common/StatusChip';
import { formatNumber } from '../common/format';
import EventLog from './EventLog';
import { isTerminal, type RunState } from './events';
import ResultView, { type Ended } from './ResultView';
import WaitingNotice from './WaitingNotice';
import type { StreamMode } from './stream';

interface Props {
  state: RunState;
  mode: StreamMode;
  streamError?: string | null;
  tasks: { key: string; name: string }[];
  agentKeys: string[];
  canCancel: boolean;
  cancelling: boolean;
  onCancel: () => void;
  onClose?: () => void;
}

const MODE_LABEL: Record<StreamMode, string> = {
  connecting: 'connecting…',
  live: 'live',
  reconnecting: 'reconnecting…',
  polling: 'live (polling)',
  closed: '',
};

export default function RunPanel({ state, mode, streamError, tasks, agentKeys, canCancel, cancelling, onCancel, onClose }: Props) {
  const [tab, setTab] = useState<'log' | 'result'>('log');
  const done = isTerminal(state.status);
  const [wasDone, setWasDone] = useState(done);
  if (done !== wasDone) {
    // Show the result as soon as the run ends.
    setWasDone(done);
    if (done) setTab('result');
  }
  const shownTab = tab;
  const waiting = state.status === 'waiting' ? state.waiting : null;
  return (
    <Box sx={{ display: 'flex', flexDirection: 'column', height: '100%', minHeight: 0 }} data-testid="run-panel">
      <Box sx={{ p: 2, pb: 1 }}>
        <Box sx={{ display: 'flex', alignItems: 'center', gap: 1 }}>
          <Typography variant="subtitle1" component="h2" sx={{ flex: 1 }}>
            Run
          </Typography>
          <StatusChip status={state.status} />
          {state.executionId && (
            <Tooltip title="Open execution page">
              <IconButton aria-label="Open execution page" component={Link} to={`/executions/${state.executionId}`} size="small">
                <OpenInNew fontSize="small" />
              </IconButton>
            </Tooltip>
          )}
          {onClose && (
            <Tooltip title={done ? 'Close run panel' : 'Stop watching (the run continues)'}>
              <IconButton aria-label="Close run panel" onClick={onClose} size="small">
                <Close fontSize="small" />
              </IconButton>
            </Tooltip>
          )}
        </Box>
        <Box sx={{ display: 'flex', alignItems: 'center', gap: 2, mt: 1 }}>
          <Typography variant="body2" data-testid="run-tokens" aria-label="Token usage" sx={{ flex: 1, minWidth: 0 }}>
            Tokens: <strong>{formatNumber(state.tokens.total)}</strong>{' '}
            <Typography component="span" variant="caption" color="text.secondary">
              ({formatNumber(state.tokens.prompt)} prompt · {formatNumber(state.tokens.completion)} completion)
            </Typography>
          </Typography>
          {!done && MODE_LABEL[mode] && (
            <Typography variant="caption" color={mode === 'reconnecting' ? 'warning.main' : 'text.secondary'} data-testid="stream-mode" sx={{ whiteSpace: 'nowrap' }}>
              {MODE_LABEL[mode]}
            </Typography>
          )}
          {!done && (
            <Button size="small" color="error" variant="outlined" startIcon={<Stop />} sx={{ flexShrink: 0, whiteSpace: 'nowrap' }} onClick={onCancel} disabled={!canCancel || cancelling || state.status === 'cancelling'}>
              Cancel run
            </Button>
          )}
        </Box>
        {!done && !streamError && !waiting && <LinearProgress sx={{ mt: 1 }} aria-label="Run in progress" />}
        {waiting && <WaitingNotice waiting={waiting} />}
        {streamError && (
          <Alert severity="warning" sx={{ mt: 1 }}>
            Cannot follow this run: {streamError}
          </Alert>
        )}
      </Box>
      <Tabs value={shownTab} onChange={(_, v: 'log' | 'result') => setTab(v)} sx={{ px: 2, minHeight: 36 }} aria-label="Run views">
        <Tab value="log" label="Event log" sx={{ minHeight: 36 }} />
        <Tab value="result" label="Result" sx={{ minHeight: 36 }} />
      </Tabs>
      <Box sx={{ flex: 1, minHeight: 0, p: 2, pt: 1, overflow: shownTab === 'result' ? 'auto' : 'hidden' }}>
        {shownTab === 'log' ? (
          <EventLog log={state.log} taskKeys={tasks.map((t) => t.key)} agentKeys={agentKeys} />
        ) : (
          <ResultView result={state.result} error={state.error} taskOutputs={state.taskOutputs} tasks={tasks} ended={done ? (state.status as Ended) : null} />
        )}
      </Box>
    </Box>
  );
}

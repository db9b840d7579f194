import Box from '@mui/material/Box';
import Chip from '@mui/material/Chip';
import MenuItem from '@mui/material/MenuItem';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useEffect, useMemo, useRef, useState } from 'react';
import { filterLog, type LogKind, type LogLine } from './events';

const KINDS: { kind: LogKind; label: string }[] = [
  { kind: 'execution', label: 'Run' },
  { kind: 'task', label: 'Tasks' },
  { kind: 'agent', label: 'Agents' },
  { kind: 'tool', label: 'Tools' },
  { kind: 'knowledge', label: 'Knowledge' },
  { kind: 'llm', label: 'LLM' },
  { kind: 'memory', label: 'Memory' },
  { kind: 'log', label: 'Logs' },
  { kind: 'crew', label: 'Crew' },
];

interface Props {
  log: LogLine[];
  taskKeys: string[];
  agentKeys: string[];
  height?: number | string;
}

/** The event log with filters; follows the tail unless the user scrolled up. */
export default function EventLog({ log, taskKeys, agentKeys, height = '100%' }: Props) {
  const [kinds, setKinds] = useState<Set<LogKind>>(() => new Set(KINDS.map((k) => k.kind)));
  const [taskKey, setTaskKey] = useState('');
  const [agentKey, setAgentKey] = useState('');
  const lines = useMemo(() => filterLog(log, { kinds, taskKey: taskKey || null, agentKey: agentKey || null }), [log, kinds, taskKey, agentKey]);
  const scroller = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  const lastText = lines.length ? lines[lines.length - 1].text.length : 0;

  useEffect(() => {
    const el = scroller.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [lines.length, lastText]);

  const toggle = (kind: LogKind) =>
    setKinds((prev) => {
      const next = new Set(prev);
      if (next.has(kind)) next.delete(kind);
      else next.add(kind);
      return next;
    });

  return (
    <Box sx={{ display: 'flex', flexDirection: 'column', height, minHeight: 0 }}>
      <Box sx={{ display: 'flex', flexWrap: 'wrap', gap: 0.5, mb: 1 }} role="group" aria-label="Event types">
        {KINDS.map(({ kind, label }) => (
          <Chip
            key={kind}
            size="small"
            label={label}
            color={kinds.has(kind) ? 'primary' : 'default'}
            variant={kinds.has(kind) ? 'filled' : 'outlined'}
            onClick={() => toggle(kind)}
            aria-pressed={kinds.has(kind)}
          />
        ))}
      </Box>
      <Box sx={{ display: 'flex', gap: 1, mb: 1 }}>
        <TextField select label="Task" value={taskKey} onChange={(e) => setTaskKey(e.target.value)} sx={{ flex: 1 }}>
          <MenuItem value="">All tasks</MenuItem>
          {taskKeys.map((k) => (
            <MenuItem key={k} value={k}>
              {k}
            </MenuItem>
          ))}
        </TextField>
        <TextField select label="Agent" value={agentKey} onChange={(e) => setAgentKey(e.target.value)} sx={{ flex: 1 }}>
          <MenuItem value="">All agents</MenuItem>
          {agentKeys.map((k) => (
            <MenuItem key={k} value={k}>
              {k}
            </MenuItem>
          ))}
        </TextField>
      </Box>
      <Box
        ref={scroller}
        role="log"
        aria-label="Event log"
        aria-live="polite"
        data-testid="event-log"
        onScroll={(e) => {
          const el = e.currentTarget;
          stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
        }}
        sx={{
          flex: 1,
          minHeight: 120,
          overflow: 'auto',
          fontFamily: 'ui-monospace, SFMono-Regular, Menlo, monospace',
          fontSize: 12,
          bgcolor: 'action.hover',
          borderRadius: 1,
          p: 1,
        }}
      >
        {lines.length === 0 && (
          <Typography variant="body2" color="text.secondary">
            No events yet.
          </Typography>
        )}
        {lines.map((l) => (
          <Box
            key={l.id}
            data-seq={l.seq}
            data-kind={l.kind}
            sx={{
              whiteSpace: 'pre-wrap',
              overflowWrap: 'anywhere',
              py: 0.25,
              color: l.level === 'error' ? 'error.main' : l.level === 'warning' ? 'warning.main' : l.level === 'debug' ? 'text.secondary' : 'text.primary',
              borderLeft: l.streaming !== undefined ? 2 : 0,
              borderColor: 'info.main',
              pl: l.streaming !== undefined ? 1 : 0,
            }}
          >
            <Box component="span" sx={{ color: 'text.disabled', mr: 1 }}>
              {new Date(l.ts).toLocaleTimeString()}
            </Box>
            {l.text}
            {l.streaming && <Box component="span" aria-hidden sx={{ animation: 'kasalBlink 1s step-start infinite', '@keyframes kasalBlink': { '50%': { opacity: 0 } } }}>▍</Box>}
          </Box>
        ))}
      </Box>
    </Box>
  );
}

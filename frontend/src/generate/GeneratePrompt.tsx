/**
 * The prompt box of "crew from a sentence": on the crews page it designs a new crew, in the
 * editor it changes the open one. It streams the generation and hands every event to its owner
 * (the editor puts nodes on the canvas as they arrive); it shows progress, the summary and errors.
 */
import AutoAwesome from '@mui/icons-material/AutoAwesome';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import LinearProgress from '@mui/material/LinearProgress';
import TextField from '@mui/material/TextField';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import { useEffect, useRef, useState } from 'react';
import { errorMessage } from '../api/client';
import { useModels } from '../api/hooks';
import type { GenerateEvent } from '../api/types';
import ModelPicker from '../canvas/ModelPicker';
import { generateCrew } from './stream';

interface Props {
  label: string;
  placeholder: string;
  button: string;
  /** Refine this crew (a new version based on `version`); without it, a new crew. */
  crewId?: string;
  version?: number;
  disabled?: boolean;
  disabledReason?: string;
  onEvent: (event: GenerateEvent) => void;
}

type Outcome = { severity: 'success' | 'error'; message: string; lines: string[] };

export default function GeneratePrompt({ label, placeholder, button, crewId, version, disabled, disabledReason, onEvent }: Props) {
  const models = useModels();
  const [prompt, setPrompt] = useState('');
  const [model, setModel] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [progress, setProgress] = useState('');
  /** What has streamed so far (agent roles, task names), shown while the design arrives. */
  const [streamed, setStreamed] = useState<string[]>([]);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const abort = useRef<AbortController | null>(null);
  useEffect(() => () => abort.current?.abort(), []);
  const chosen = model ?? models.data?.find((m) => m.is_default)?.key ?? null;

  const start = async () => {
    const controller = new AbortController();
    abort.current = controller;
    setBusy(true);
    setOutcome(null);
    setProgress('Starting…');
    setStreamed([]);
    const handle = (event: GenerateEvent) => {
      if (event.type === 'started') setProgress(event.offline ? 'Designing with the offline template…' : `Designing with ${event.model}…`);
      if (event.type === 'agent') setStreamed((s) => [...s, event.agent.role || event.agent.key]);
      if (event.type === 'task') setStreamed((s) => [...s, event.task.name || event.task.key]);
      if (event.type === 'repair') {
        setStreamed([]);
        setProgress('The first answer was not a valid crew: asking the model to fix it…');
      }
      if (event.type === 'done') {
        setOutcome({ severity: 'success', message: event.summary, lines: event.changes });
        setPrompt('');
      }
      if (event.type === 'error') setOutcome({ severity: 'error', message: event.error.message, lines: event.error.details.map(String).slice(0, 5) });
      onEvent(event);
    };
    try {
      await generateCrew({ prompt: prompt.trim(), model: chosen, crew_id: crewId ?? null, version: version ?? null }, handle, controller.signal);
    } catch (e) {
      if (!controller.signal.aborted) {
        setOutcome({ severity: 'error', message: errorMessage(e), lines: [] });
        onEvent({ type: 'error', error: { code: 'request_failed', message: errorMessage(e), details: [] } });
      }
    } finally {
      setBusy(false);
      abort.current = null;
    }
  };

  const blocked = disabled || busy || !prompt.trim();
  return (
    <Box component="section" aria-label={label} sx={{ display: 'flex', flexDirection: 'column', gap: 1 }}>
      <Box sx={{ display: 'flex', gap: 1, alignItems: 'flex-start' }}>
        <TextField
          label={label}
          placeholder={placeholder}
          value={prompt}
          onChange={(e) => setPrompt(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey && !blocked) {
              e.preventDefault();
              void start();
            }
          }}
          disabled={disabled || busy}
          multiline
          maxRows={4}
          size="small"
          sx={{ flex: 1 }}
          slotProps={{ htmlInput: { maxLength: 4000 }, inputLabel: { shrink: true } }}
        />
        <Box sx={{ width: 220 }}>
          <ModelPicker label="Designed by" value={chosen} models={models.data} onChange={setModel} disabled={disabled || busy} />
        </Box>
        <Tooltip title={disabled && disabledReason ? disabledReason : ''}>
          <span>
            <Button variant="contained" startIcon={<AutoAwesome />} onClick={() => void start()} disabled={blocked} sx={{ height: 40 }}>
              {busy ? 'Generating…' : button}
            </Button>
          </span>
        </Tooltip>
      </Box>
      {busy && (
        <Box role="status" aria-live="polite">
          <LinearProgress />
          <Typography variant="caption" color="text.secondary">
            {progress}
          </Typography>
          <Box sx={{ display: 'flex', flexWrap: 'wrap', gap: 0.5, mt: 0.5 }} data-testid="generate-streamed">
            {streamed.map((label, i) => (
              <Chip key={`${i}-${label}`} size="small" label={label} />
            ))}
          </Box>
        </Box>
      )}
      {outcome && (
        <Alert severity={outcome.severity} onClose={() => setOutcome(null)} data-testid="generate-outcome">
          {outcome.message}
          {outcome.lines.length > 0 && (
            <Box component="ul" sx={{ m: 0, pl: 2 }}>
              {outcome.lines.map((line) => (
                <li key={line}>{line}</li>
              ))}
            </Box>
          )}
        </Alert>
      )}
    </Box>
  );
}

import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useState, type FormEvent } from 'react';

interface Props {
  open: boolean;
  /** Whose inputs these are: the last values are remembered under it. */
  crewId: string;
  /** What runs: "crew" unless told ("flow"). */
  what?: string;
  inputs: string[];
  /** The crew's default inputs: prefilled where no earlier run of this browser set a value. */
  defaults: Record<string, string>;
  busy: boolean;
  error: string | null;
  saveFirst: boolean;
  onCancel: () => void;
  onStart: (values: Record<string, string>) => void;
}

const storageKey = (crewId: string) => `kasal.inputs.${crewId}`;

function remembered(crewId: string): Record<string, string> {
  try {
    return JSON.parse(localStorage.getItem(storageKey(crewId)) ?? '{}') as Record<string, string>;
  } catch {
    return {};
  }
}

/** Asks for the crew's `{inputs}` before a run; remembers the last values per crew. */
export default function RunDialog(props: Props) {
  return props.open ? <RunDialogBody {...props} /> : null;
}

function RunDialogBody({ open, crewId, what = 'crew', inputs, defaults, busy, error, saveFirst, onCancel, onStart }: Props) {
  const [values, setValues] = useState<Record<string, string>>(() => {
    const last = remembered(crewId);
    return Object.fromEntries(inputs.map((k) => [k, last[k] ?? defaults[k] ?? '']));
  });
  const [submitted, setSubmitted] = useState(false);
  const missing = inputs.filter((k) => !values[k]?.trim());
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSubmitted(true);
    if (missing.length) return;
    try {
      localStorage.setItem(storageKey(crewId), JSON.stringify({ ...remembered(crewId), ...values }));
    } catch {
      // Not remembered; no harm.
    }
    onStart(values);
  };
  return (
    <Dialog open={open} onClose={onCancel} fullWidth maxWidth="sm" aria-labelledby="run-title">
      <form onSubmit={submit} noValidate>
        <DialogTitle id="run-title">Run {what}</DialogTitle>
        <DialogContent>
          {saveFirst && (
            <Alert severity="info" sx={{ mb: 2 }}>
              Your changes will be saved first.
            </Alert>
          )}
          {inputs.length === 0 ? (
            <Typography variant="body2" color="text.secondary">
              This {what} takes no inputs.
            </Typography>
          ) : (
            <Box sx={{ display: 'flex', flexDirection: 'column', gap: 1, pt: 1 }}>
              {inputs.map((name, i) => (
                <TextField
                  key={name}
                  label={name}
                  value={values[name] ?? ''}
                  onChange={(e) => setValues((v) => ({ ...v, [name]: e.target.value }))}
                  required
                  autoFocus={i === 0}
                  multiline
                  maxRows={6}
                  error={submitted && !values[name]?.trim()}
                  helperText={submitted && !values[name]?.trim() ? `A value for {${name}} is required` : ' '}
                />
              ))}
            </Box>
          )}
          {error && (
            <Alert severity="error" role="alert" sx={{ mt: 1 }}>
              {error}
            </Alert>
          )}
        </DialogContent>
        <DialogActions>
          <Button onClick={onCancel}>Cancel</Button>
          <Button type="submit" variant="contained" disabled={busy}>
            {busy ? 'Starting…' : 'Start run'}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}

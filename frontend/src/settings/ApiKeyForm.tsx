import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import MenuItem from '@mui/material/MenuItem';
import TextField from '@mui/material/TextField';
import { useState, type FormEvent } from 'react';
import { KEY_PROVIDERS } from '../api/types';
import { validateApiKeyForm, type ApiKeyFormMode, type ApiKeyFormValues } from './validation';

export interface ApiKeyFormProps {
  mode: ApiKeyFormMode;
  /** For "replace": the key being replaced. */
  initial?: { name: string; provider: string };
  busy?: boolean;
  error?: string | null;
  onSubmit: (values: ApiKeyFormValues) => void;
  onCancel: () => void;
}

/** Add or replace a provider API key. The value is write-only: it is never shown again. */
export default function ApiKeyForm({ mode, initial, busy, error, onSubmit, onCancel }: ApiKeyFormProps) {
  const [values, setValues] = useState<ApiKeyFormValues>({ name: initial?.name ?? '', provider: initial?.provider ?? '', value: '' });
  const [submitted, setSubmitted] = useState(false);
  const errors = validateApiKeyForm(values, mode);
  const show = (f: keyof ApiKeyFormValues) => (submitted ? errors[f] : undefined);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSubmitted(true);
    if (Object.keys(errors).length === 0) onSubmit({ ...values, name: values.name.trim(), value: values.value.trim() });
  };
  return (
    <Dialog open onClose={onCancel} fullWidth maxWidth="sm" aria-labelledby="api-key-title">
      <form onSubmit={submit} noValidate>
        <DialogTitle id="api-key-title">{mode === 'create' ? 'Add an API key' : `Replace "${initial?.name}"`}</DialogTitle>
        <DialogContent sx={{ display: 'flex', flexDirection: 'column', gap: 1, pt: '8px !important' }}>
          {mode === 'create' && (
            <>
              <TextField
                label="Name"
                value={values.name}
                onChange={(e) => setValues((v) => ({ ...v, name: e.target.value }))}
                required
                autoFocus
                error={Boolean(show('name'))}
                helperText={show('name') ?? ' '}
              />
              <TextField
                select
                label="Provider"
                value={values.provider}
                onChange={(e) => setValues((v) => ({ ...v, provider: e.target.value }))}
                required
                error={Boolean(show('provider'))}
                helperText={show('provider') ?? ' '}
              >
                {KEY_PROVIDERS.map((p) => (
                  <MenuItem key={p} value={p}>
                    {p}
                  </MenuItem>
                ))}
              </TextField>
            </>
          )}
          <TextField
            label="Key value"
            type="password"
            autoComplete="off"
            value={values.value}
            onChange={(e) => setValues((v) => ({ ...v, value: e.target.value }))}
            required
            autoFocus={mode === 'replace'}
            error={Boolean(show('value'))}
            helperText={show('value') ?? 'Stored encrypted; only the last 4 characters are shown afterwards'}
          />
          {error && <Alert severity="error">{error}</Alert>}
        </DialogContent>
        <DialogActions>
          <Button onClick={onCancel}>Cancel</Button>
          <Button type="submit" variant="contained" disabled={busy}>
            {mode === 'create' ? 'Add key' : 'Replace key'}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}

import Add from '@mui/icons-material/Add';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import MenuItem from '@mui/material/MenuItem';
import Paper from '@mui/material/Paper';
import Switch from '@mui/material/Switch';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { errorMessage } from '../api/client';
import { modelsApi } from '../api/endpoints';
import { keys, useModels, usePermissions } from '../api/hooks';
import type { Model } from '../api/types';
import { formatNumber } from '../common/format';
import { notify } from '../common/notify';
import PageLoader from '../common/PageLoader';
import { validateEndpointForm, type EndpointFormValues } from './validation';

const NEEDS_KEY = new Set(['openai', 'anthropic', 'gemini', 'deepseek', 'databricks']);

function providerLabel(provider: string): string {
  return provider === 'demo' ? 'Demo (offline)' : provider;
}

export default function ModelsTab() {
  const qc = useQueryClient();
  const models = useModels();
  const { isGroupAdmin } = usePermissions();
  const [adding, setAdding] = useState(false);
  const toggle = useMutation({
    mutationFn: (m: Model) => modelsApi.update(m.key, { enabled: !m.enabled }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: keys.models }),
    onError: (e) => notify(errorMessage(e), 'error'),
  });
  if (models.isPending) return <PageLoader label="Loading models" />;
  if (models.isError) return <Alert severity="error">{errorMessage(models.error)}</Alert>;
  return (
    <Box>
      <Box sx={{ display: 'flex', alignItems: 'center', mb: 2 }}>
        <Typography variant="body2" color="text.secondary" sx={{ flex: 1 }}>
          Enabled models can be picked for agents. Providers other than Ollama and the offline demo need an API key (see API keys).
        </Typography>
        <Button startIcon={<Add />} variant="contained" onClick={() => setAdding(true)} disabled={!isGroupAdmin}>
          Add endpoint
        </Button>
      </Box>
      <TableContainer component={Paper} variant="outlined">
        <Table size="small" aria-label="Models">
          <TableHead>
            <TableRow>
              <TableCell>Enabled</TableCell>
              <TableCell>Label</TableCell>
              <TableCell>Provider</TableCell>
              <TableCell>Model</TableCell>
              <TableCell align="right">Context</TableCell>
              <TableCell>Status</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {models.data.map((m) => (
              <TableRow key={m.key} data-testid={`model-row-${m.key}`}>
                <TableCell>
                  <Switch
                    checked={m.enabled}
                    onChange={() => toggle.mutate(m)}
                    disabled={!isGroupAdmin || toggle.isPending}
                    slotProps={{ input: { 'aria-label': `${m.enabled ? 'Disable' : 'Enable'} ${m.label}` } }}
                  />
                </TableCell>
                <TableCell>
                  {m.provider === 'demo' ? 'Demo (offline)' : m.label}
                  {m.is_custom && <Chip size="small" label="custom" sx={{ ml: 1 }} />}
                </TableCell>
                <TableCell>{providerLabel(m.provider)}</TableCell>
                <TableCell>
                  <code>{m.model}</code>
                  {m.base_url && (
                    <Typography variant="caption" component="div" color="text.secondary">
                      {m.base_url}
                    </Typography>
                  )}
                </TableCell>
                <TableCell align="right">{formatNumber(m.context_window)}</TableCell>
                <TableCell>
                  {!m.enabled ? (
                    <Chip size="small" label="disabled" />
                  ) : NEEDS_KEY.has(m.provider) && !m.has_key ? (
                    <Chip size="small" color="warning" label="no API key" />
                  ) : (
                    <Chip size="small" color="success" label="ready" />
                  )}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </TableContainer>
      {adding && <AddEndpointDialog existing={new Set(models.data.map((m) => m.key))} onClose={() => setAdding(false)} />}
    </Box>
  );
}

function AddEndpointDialog({ existing, onClose }: { existing: ReadonlySet<string>; onClose: () => void }) {
  const qc = useQueryClient();
  const [values, setValues] = useState<EndpointFormValues>({ provider: 'ollama', key: '', model: '', label: '', base_url: 'http://127.0.0.1:11434' });
  const [submitted, setSubmitted] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const errors = validateEndpointForm(values, existing);
  const create = useMutation({
    mutationFn: () =>
      modelsApi.create({
        key: values.key.trim(),
        provider: values.provider,
        model: values.model.trim(),
        label: values.label.trim(),
        base_url: values.base_url.trim(),
        enabled: true,
      }),
    onSuccess: () => {
      notify('Model added', 'success');
      void qc.invalidateQueries({ queryKey: keys.models });
      onClose();
    },
    onError: (e) => setError(errorMessage(e)),
  });
  const set = (field: keyof EndpointFormValues) => (e: { target: { value: string } }) => setValues((v) => ({ ...v, [field]: e.target.value }));
  const show = (field: keyof EndpointFormValues) => (submitted ? errors[field] : undefined);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSubmitted(true);
    if (Object.keys(errors).length === 0) create.mutate();
  };
  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="sm" aria-labelledby="endpoint-title">
      <form onSubmit={submit} noValidate>
        <DialogTitle id="endpoint-title">Add a model endpoint</DialogTitle>
        <DialogContent sx={{ display: 'flex', flexDirection: 'column', gap: 1, pt: '8px !important' }}>
          <TextField
            select
            label="Provider"
            value={values.provider}
            onChange={(e) =>
              setValues((v) => ({
                ...v,
                provider: e.target.value as EndpointFormValues['provider'],
                base_url: e.target.value === 'ollama' ? 'http://127.0.0.1:11434' : 'https://<workspace>.cloud.databricks.com/serving-endpoints',
              }))
            }
          >
            <MenuItem value="ollama">Ollama</MenuItem>
            <MenuItem value="databricks">Databricks</MenuItem>
          </TextField>
          <TextField label="Model" value={values.model} onChange={set('model')} required error={Boolean(show('model'))} helperText={show('model') ?? (values.provider === 'ollama' ? 'e.g. llama3.1:8b' : 'the serving endpoint name')} />
          <TextField label="Key" value={values.key} onChange={set('key')} required error={Boolean(show('key'))} helperText={show('key') ?? 'How crews refer to this model'} />
          <TextField label="Label" value={values.label} onChange={set('label')} required error={Boolean(show('label'))} helperText={show('label') ?? ' '} />
          <TextField label="Endpoint URL" value={values.base_url} onChange={set('base_url')} required error={Boolean(show('base_url'))} helperText={show('base_url') ?? (values.provider === 'databricks' ? 'Add a Databricks token under API keys' : ' ')} />
          {error && <Alert severity="error">{error}</Alert>}
        </DialogContent>
        <DialogActions>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="contained" disabled={create.isPending}>
            Add model
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}

import Button from '@mui/material/Button';
import FormControlLabel from '@mui/material/FormControlLabel';
import MenuItem from '@mui/material/MenuItem';
import Switch from '@mui/material/Switch';
import TextField from '@mui/material/TextField';
import ToggleButton from '@mui/material/ToggleButton';
import ToggleButtonGroup from '@mui/material/ToggleButtonGroup';
import { useState, type ChangeEvent } from 'react';
import type { OpenApiSource, OpenApiSourceCreate, OpenApiSourceUpdate } from '../api/types';
import { openApiCreate, openApiUpdate } from './requests';
import FormDialog from './FormDialog';
import type { SourceFormProps } from './useSourceCrud';
import { validateOpenApiForm, type DocumentMode, type OpenApiFormValues } from './validation';

/** The fields a server complaint can land on (`url` and `document` share the document input). */
export type OpenApiFields = 'name' | 'description' | 'url' | 'document' | 'base_url' | 'secret';

type Props = SourceFormProps<OpenApiSource, OpenApiSourceCreate, OpenApiSourceUpdate, OpenApiFields>;

const AUTH_LABEL = { none: 'None', api_key: 'API key', bearer: 'Bearer token' } as const;

function initialValues(source: OpenApiSource | undefined): OpenApiFormValues {
  return {
    name: source?.name ?? '',
    description: source?.description ?? '',
    mode: source ? 'keep' : 'url',
    url: source?.source_url ?? '',
    document: '',
    base_url: source?.base_url ?? '',
    auth_type: source?.auth.type ?? 'none',
    location: source?.auth.location ?? 'header',
    key_name: source?.auth.name ?? '',
    secret: '',
    enabled: source?.enabled ?? true,
  };
}

/** Register an OpenAPI document (by URL, pasted or uploaded) with its auth, or edit one. */
export default function OpenApiSourceForm({ editing, busy, serverErrors = {}, error, onSubmit, onCancel }: Props) {
  const [values, setValues] = useState<OpenApiFormValues>(() => initialValues(editing));
  const [submitted, setSubmitted] = useState(false);
  const errors = validateOpenApiForm(values, Boolean(editing?.auth.has_secret));
  const set = <K extends keyof OpenApiFormValues>(key: K, value: OpenApiFormValues[K]) => setValues((v) => ({ ...v, [key]: value }));
  const shown = (f: keyof OpenApiFormValues) => (submitted ? errors[f] : undefined);
  const text = (f: keyof OpenApiFormValues & OpenApiFields, help: string, server?: string) => ({
    value: values[f],
    onChange: (e: { target: { value: string } }) => set(f, e.target.value),
    error: Boolean(shown(f) ?? server ?? serverErrors[f]),
    helperText: shown(f) ?? server ?? serverErrors[f] ?? help,
  });
  const documentError = serverErrors.document ?? serverErrors.url;
  const upload = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    if (file) set('document', await file.text());
  };
  const submit = () => {
    setSubmitted(true);
    if (Object.keys(errors).length === 0) onSubmit(editing ? openApiUpdate(editing, values) : openApiCreate(values));
  };
  return (
    <FormDialog title={editing ? `Edit "${editing.name}"` : 'Register an OpenAPI document'} submitLabel={editing ? 'Save' : 'Register'} busy={busy} error={error} onSubmit={submit} onCancel={onCancel}>
      <TextField label="Name" required autoFocus {...text('name', 'Agents use its tools as openapi:<name> or openapi:<name>/<operation>')} />
      <TextField label="Description" {...text('description', ' ')} />
      <ToggleButtonGroup exclusive size="small" value={values.mode} onChange={(_, mode: DocumentMode | null) => mode && set('mode', mode)} aria-label="Document">
        {editing && <ToggleButton value="keep">Keep the document</ToggleButton>}
        <ToggleButton value="url">From a URL</ToggleButton>
        <ToggleButton value="text">Paste or upload</ToggleButton>
      </ToggleButtonGroup>
      {values.mode === 'url' && <TextField label="Document URL" type="url" required {...text('url', 'Fetched once, now: fetch again by saving it again', documentError)} />}
      {values.mode === 'text' && (
        <>
          <TextField label="OpenAPI document" required multiline minRows={4} maxRows={12} slotProps={{ htmlInput: { spellCheck: false } }} {...text('document', 'OpenAPI 3, as JSON or YAML', documentError)} />
          <Button component="label" variant="outlined" size="small" sx={{ alignSelf: 'flex-start' }}>
            Upload a file
            <input hidden type="file" accept=".json,.yaml,.yml,application/json,application/yaml,text/yaml" aria-label="Document file" onChange={(e) => void upload(e)} />
          </Button>
        </>
      )}
      <TextField label="Base URL" {...text('base_url', "Where calls go. Default: the document's first server")} />
      <TextField select label="Authentication" value={values.auth_type} onChange={(e) => set('auth_type', e.target.value as OpenApiFormValues['auth_type'])} helperText=" ">
        {(Object.keys(AUTH_LABEL) as (keyof typeof AUTH_LABEL)[]).map((t) => (
          <MenuItem key={t} value={t}>
            {AUTH_LABEL[t]}
          </MenuItem>
        ))}
      </TextField>
      {values.auth_type === 'api_key' && (
        <>
          <TextField select label="Send the key in" value={values.location} onChange={(e) => set('location', e.target.value as OpenApiFormValues['location'])} helperText=" ">
            <MenuItem value="header">A header</MenuItem>
            <MenuItem value="query">A query parameter</MenuItem>
          </TextField>
          <TextField
            label={values.location === 'header' ? 'Header name' : 'Query parameter name'}
            required
            value={values.key_name}
            onChange={(e) => set('key_name', e.target.value)}
            error={Boolean(shown('key_name'))}
            helperText={shown('key_name') ?? 'e.g. X-Api-Key'}
          />
        </>
      )}
      {values.auth_type !== 'none' && (
        <TextField
          label={values.auth_type === 'bearer' ? 'Token' : 'API key'}
          type="password"
          autoComplete="new-password"
          required={!editing?.auth.has_secret}
          {...text('secret', editing?.auth.has_secret ? 'A secret is stored. Leave this empty to keep it' : 'Stored encrypted; never shown again')}
        />
      )}
      <FormControlLabel control={<Switch checked={values.enabled} onChange={(e) => set('enabled', e.target.checked)} />} label="Enabled" />
    </FormDialog>
  );
}

import FormControlLabel from '@mui/material/FormControlLabel';
import MenuItem from '@mui/material/MenuItem';
import Switch from '@mui/material/Switch';
import TextField from '@mui/material/TextField';
import { useState } from 'react';
import type { McpServer, McpServerCreate, McpServerUpdate } from '../api/types';
import FormDialog from './FormDialog';
import type { SourceFormProps } from './useSourceCrud';
import { mcpCreate, mcpUpdate } from './requests';
import SecretEntries from './SecretEntries';
import { validateMcpForm, type McpFormValues } from './validation';

export type McpFields = 'name' | 'transport' | 'command' | 'args' | 'cwd' | 'env' | 'url' | 'headers';

type Props = SourceFormProps<McpServer, McpServerCreate, McpServerUpdate, McpFields>;

const TRANSPORT_LABEL = { stdio: 'stdio (a command on the Kasal host)', sse: 'SSE', streamable_http: 'Streamable HTTP' } as const;

const stored = (names: string[] | undefined) => (names ?? []).map((name) => ({ name, value: '', stored: true, removed: false }));

function initialValues(server: McpServer | undefined): McpFormValues {
  return {
    name: server?.name ?? '',
    transport: server?.transport ?? 'streamable_http',
    command: server?.command ?? '',
    args: (server?.args ?? []).join('\n'),
    cwd: server?.cwd ?? '',
    env: stored(server?.env_names),
    url: server?.url ?? '',
    headers: stored(server?.header_names),
    enabled: server?.enabled ?? true,
  };
}

/** Add or edit an MCP server: stdio (command, args, env, cwd) or remote (URL, headers). */
export default function McpServerForm({ editing, busy, serverErrors = {}, error, onSubmit, onCancel }: Props) {
  const [values, setValues] = useState<McpFormValues>(() => initialValues(editing));
  const [submitted, setSubmitted] = useState(false);
  const errors = validateMcpForm(values);
  const set = <K extends keyof McpFormValues>(key: K, value: McpFormValues[K]) => setValues((v) => ({ ...v, [key]: value }));
  const shown = (f: McpFields) => (submitted ? errors[f] : undefined) ?? serverErrors[f];
  const text = (f: 'name' | 'command' | 'args' | 'cwd' | 'url', help: string) => ({
    value: values[f],
    onChange: (e: { target: { value: string } }) => set(f, e.target.value),
    error: Boolean(shown(f)),
    helperText: shown(f) ?? help,
  });
  const submit = () => {
    setSubmitted(true);
    if (Object.keys(errors).length === 0) onSubmit(editing ? mcpUpdate(editing, values) : mcpCreate(values));
  };
  return (
    <FormDialog title={editing ? `Edit "${editing.name}"` : 'Add an MCP server'} submitLabel={editing ? 'Save' : 'Add server'} busy={busy} error={error} onSubmit={submit} onCancel={onCancel}>
      <TextField label="Name" required autoFocus {...text('name', 'Agents use its tools as mcp:<name> or mcp:<name>/<tool>')} />
      <TextField
        select
        label="Transport"
        value={values.transport}
        onChange={(e) => set('transport', e.target.value as McpFormValues['transport'])}
        error={Boolean(shown('transport'))}
        helperText={shown('transport') ?? ' '}
      >
        {(Object.keys(TRANSPORT_LABEL) as (keyof typeof TRANSPORT_LABEL)[]).map((t) => (
          <MenuItem key={t} value={t}>
            {TRANSPORT_LABEL[t]}
          </MenuItem>
        ))}
      </TextField>
      {values.transport === 'stdio' ? (
        <>
          <TextField label="Command" required {...text('command', 'The executable; the operator must allow it (KASAL_MCP_STDIO_COMMANDS)')} />
          <TextField label="Arguments" multiline minRows={2} {...text('args', 'One per line')} />
          <TextField label="Working folder" {...text('cwd', "An absolute path. Default: the run's folder")} />
          <SecretEntries label="Environment variable" entries={values.env} onChange={(env) => set('env', env)} error={shown('env')} />
        </>
      ) : (
        <>
          <TextField label="URL" type="url" required {...text('url', values.transport === 'sse' ? 'e.g. https://mcp.example.com/sse' : 'e.g. https://mcp.example.com/mcp')} />
          <SecretEntries label="Header" entries={values.headers} onChange={(headers) => set('headers', headers)} error={shown('headers')} />
        </>
      )}
      <FormControlLabel control={<Switch checked={values.enabled} onChange={(e) => set('enabled', e.target.checked)} />} label="Enabled" />
    </FormDialog>
  );
}

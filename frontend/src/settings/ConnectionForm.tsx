import TextField from '@mui/material/TextField';
import { useState } from 'react';
import type { Connection, ConnectionCreate, ConnectionUpdate } from '../api/types';
import { connectionCreate, connectionUpdate } from './requests';
import FormDialog from './FormDialog';
import type { SourceFormProps } from './useSourceCrud';
import { validateConnectionForm, type ConnectionFormValues } from './validation';

export type ConnectionFields = keyof ConnectionFormValues;

type Props = SourceFormProps<Connection, ConnectionCreate, ConnectionUpdate, ConnectionFields>;

const URL_HELP = 'postgresql://user@host:5432/db, mysql://user@host/db or sqlite:////absolute/path/on/the/server.db';

/** Add or edit a database connection. The password (and the URL's) is write-only. */
export default function ConnectionForm({ editing, busy, serverErrors = {}, error, onSubmit, onCancel }: Props) {
  const [values, setValues] = useState<ConnectionFormValues>({
    name: editing?.name ?? '',
    url: editing?.url ?? '',
    password: '',
    description: editing?.description ?? '',
  });
  const [submitted, setSubmitted] = useState(false);
  const errors = validateConnectionForm(values);
  const shown = (f: ConnectionFields) => (submitted ? errors[f] : undefined) ?? serverErrors[f];
  const field = (f: ConnectionFields, help: string) => ({
    value: values[f],
    onChange: (e: { target: { value: string } }) => setValues((v) => ({ ...v, [f]: e.target.value })),
    error: Boolean(shown(f)),
    helperText: shown(f) ?? help,
  });
  const submit = () => {
    setSubmitted(true);
    if (Object.keys(errors).length === 0) onSubmit(editing ? connectionUpdate(editing, values) : connectionCreate(values));
  };
  const passwordHelp = editing?.has_password
    ? 'A password is stored. Leave this empty to keep it; type one to replace it'
    : 'Optional: the password, if it is not in the URL';
  return (
    <FormDialog title={editing ? `Edit "${editing.name}"` : 'Add a database connection'} submitLabel={editing ? 'Save' : 'Add connection'} busy={busy} error={error} onSubmit={submit} onCancel={onCancel}>
      <TextField label="Name" required autoFocus {...field('name', 'What a sql_query tool names: a-z, 0-9, _ and -')} />
      <TextField
        label="URL"
        required
        autoComplete="off"
        {...field('url', editing ? `Shown with its password as ***: leave *** to keep it. ${URL_HELP}` : URL_HELP)}
      />
      <TextField label="Password" type="password" autoComplete="new-password" {...field('password', passwordHelp)} />
      <TextField label="Description" multiline minRows={2} {...field('description', 'The agent reads it in the tool description')} />
    </FormDialog>
  );
}

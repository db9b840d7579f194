import Checkbox from '@mui/material/Checkbox';
import FormControl from '@mui/material/FormControl';
import FormControlLabel from '@mui/material/FormControlLabel';
import FormGroup from '@mui/material/FormGroup';
import FormHelperText from '@mui/material/FormHelperText';
import FormLabel from '@mui/material/FormLabel';
import TextField from '@mui/material/TextField';
import { useState } from 'react';
import { EVENT_TYPES, type EventType, type Webhook, type WebhookCreate, type WebhookUpdate } from '../api/types';
import FormDialog from './FormDialog';
import type { SourceFormProps } from './useSourceCrud';

export type WebhookFields = 'url' | 'events' | 'secret' | 'description';

/** The events a webhook can listen to: a run's status events. */
const WEBHOOK_EVENTS = EVENT_TYPES.filter((t) => t.startsWith('execution.'));

type Props = SourceFormProps<Webhook, WebhookCreate, WebhookUpdate, WebhookFields>;

/** Add or edit a webhook. The secret is write-only: left empty, Kasal makes one (or keeps the stored one). */
export default function WebhookForm({ editing, busy, serverErrors = {}, error, onSubmit, onCancel }: Props) {
  const [url, setUrl] = useState(editing?.url ?? 'https://');
  const [events, setEvents] = useState<EventType[]>((editing?.events as EventType[] | undefined) ?? ['execution.succeeded', 'execution.failed']);
  const [secret, setSecret] = useState('');
  const [description, setDescription] = useState(editing?.description ?? '');
  const [submitted, setSubmitted] = useState(false);
  const local: Partial<Record<WebhookFields, string>> = {
    ...(url.trim() ? {} : { url: 'Give the URL to POST to' }),
    ...(events.length ? {} : { events: 'Pick at least one event' }),
    ...(secret && secret.length < 16 ? { secret: 'At least 16 characters' } : {}),
  };
  const shown = (f: WebhookFields) => (submitted ? local[f] : undefined) ?? serverErrors[f];
  const toggle = (event: EventType) => setEvents((all) => (all.includes(event) ? all.filter((e) => e !== event) : [...all, event]));
  const submit = () => {
    setSubmitted(true);
    if (Object.keys(local).length) return;
    onSubmit({ url: url.trim(), events, description, ...(secret ? { secret } : {}) });
  };
  return (
    <FormDialog title={editing ? 'Edit webhook' : 'Add a webhook'} submitLabel={editing ? 'Save' : 'Add webhook'} busy={busy} error={error} onSubmit={submit} onCancel={onCancel}>
      <TextField label="URL" required autoFocus value={url} onChange={(e) => setUrl(e.target.value)} error={Boolean(shown('url'))} helperText={shown('url') ?? 'Kasal POSTs signed JSON here; private addresses only where the operator allows them'} />
      <FormControl error={Boolean(shown('events'))} component="fieldset">
        <FormLabel component="legend">Events</FormLabel>
        <FormGroup row>
          {WEBHOOK_EVENTS.map((event) => (
            <FormControlLabel key={event} control={<Checkbox size="small" checked={events.includes(event)} onChange={() => toggle(event)} />} label={event.replace('execution.', '')} />
          ))}
        </FormGroup>
        {shown('events') && <FormHelperText>{shown('events')}</FormHelperText>}
      </FormControl>
      <TextField
        label="Signing secret"
        type="password"
        autoComplete="new-password"
        value={secret}
        onChange={(e) => setSecret(e.target.value)}
        error={Boolean(shown('secret'))}
        helperText={shown('secret') ?? (editing ? 'Write-only. Leave empty to keep the stored one' : 'Optional: leave empty and Kasal generates one, shown once')}
      />
      <TextField label="Description" value={description} onChange={(e) => setDescription(e.target.value)} />
    </FormDialog>
  );
}

import FormControlLabel from '@mui/material/FormControlLabel';
import MenuItem from '@mui/material/MenuItem';
import Switch from '@mui/material/Switch';
import TextField from '@mui/material/TextField';
import { useState } from 'react';
import type { MissedPolicy, Schedule, ScheduleCreate } from '../api/types';
import FormDialog from '../settings/FormDialog';
import { inputsToText, textToInputs } from './inputs';

type Fields = Omit<ScheduleCreate, 'crew_id'>;

interface Props {
  editing?: Schedule;
  busy: boolean;
  error: string | null;
  onSubmit: (fields: Fields) => void;
  onCancel: () => void;
}

const BROWSER_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

/** Add or edit a schedule: when (cron, time zone), with which inputs, and what a missed fire becomes. */
export default function ScheduleForm({ editing, busy, error, onSubmit, onCancel }: Props) {
  const [name, setName] = useState(editing?.name ?? '');
  const [cron, setCron] = useState(editing?.cron ?? '0 9 * * MON-FRI');
  const [timezone, setTimezone] = useState(editing?.timezone ?? BROWSER_ZONE);
  const [inputs, setInputs] = useState(inputsToText(editing?.inputs ?? {}));
  const [missed, setMissed] = useState<MissedPolicy>(editing?.missed ?? 'run_once');
  const [enabled, setEnabled] = useState(editing?.enabled ?? true);
  const [submitted, setSubmitted] = useState(false);
  const parsed = textToInputs(inputs);
  const inputsError = 'error' in parsed ? parsed.error : undefined;
  const nameError = name.trim() ? undefined : 'Give the schedule a name';
  const submit = () => {
    setSubmitted(true);
    if (nameError || 'error' in parsed) return;
    onSubmit({ name: name.trim(), cron: cron.trim(), timezone: timezone.trim(), inputs: parsed.inputs, missed, enabled });
  };
  return (
    <FormDialog title={editing ? `Edit "${editing.name}"` : 'Add a schedule'} submitLabel={editing ? 'Save' : 'Add schedule'} busy={busy} error={error} onSubmit={submit} onCancel={onCancel}>
      <TextField label="Name" required autoFocus value={name} onChange={(e) => setName(e.target.value)} error={submitted && Boolean(nameError)} helperText={(submitted && nameError) || ' '} />
      <TextField label="Cron" required value={cron} onChange={(e) => setCron(e.target.value)} helperText="minute hour day month weekday: 0 9 * * MON-FRI is 09:00 on weekdays" />
      <TextField label="Time zone" required value={timezone} onChange={(e) => setTimezone(e.target.value)} helperText="An IANA time zone, e.g. Europe/Paris or UTC" />
      <TextField
        label="Inputs"
        multiline
        minRows={2}
        value={inputs}
        onChange={(e) => setInputs(e.target.value)}
        error={submitted && Boolean(inputsError)}
        helperText={(submitted && inputsError) || 'One per line, as name: value. The crew’s defaults fill the others'}
      />
      <TextField select label="A fire missed while Kasal was down" value={missed} onChange={(e) => setMissed(e.target.value as MissedPolicy)}>
        <MenuItem value="run_once">Runs once at start-up</MenuItem>
        <MenuItem value="skip">Is skipped</MenuItem>
      </TextField>
      <FormControlLabel control={<Switch checked={enabled} onChange={(e) => setEnabled(e.target.checked)} />} label="Enabled" />
    </FormDialog>
  );
}

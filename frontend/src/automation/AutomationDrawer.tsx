import Add from '@mui/icons-material/Add';
import Close from '@mui/icons-material/Close';
import Delete from '@mui/icons-material/Delete';
import Edit from '@mui/icons-material/Edit';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import Divider from '@mui/material/Divider';
import Drawer from '@mui/material/Drawer';
import IconButton from '@mui/material/IconButton';
import Link from '@mui/material/Link';
import List from '@mui/material/List';
import ListItem from '@mui/material/ListItem';
import ListItemText from '@mui/material/ListItemText';
import Switch from '@mui/material/Switch';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link as RouterLink } from 'react-router';
import { errorMessage } from '../api/client';
import { schedulesApi, triggersApi } from '../api/endpoints';
import { keys } from '../api/hooks';
import type { Schedule, ScheduleCreate, Trigger, TriggerCreated } from '../api/types';
import ConfirmDialog from '../common/ConfirmDialog';
import { formatTime } from '../common/format';
import { notify } from '../common/notify';
import ShownOnce from '../common/ShownOnce';
import ScheduleForm from './ScheduleForm';

interface Props {
  open: boolean;
  crewId: string;
  canEdit: boolean;
  onClose: () => void;
}

/** A crew's schedules and triggers: what starts its runs without someone pressing Run. */
export default function AutomationDrawer({ open, crewId, canEdit, onClose }: Props) {
  return (
    <Drawer anchor="right" open={open} onClose={onClose} slotProps={{ paper: { sx: { width: 480, p: 2 } } }}>
      <Box sx={{ display: 'flex', alignItems: 'center', mb: 1 }}>
        <Typography variant="h6" component="h2" sx={{ flex: 1 }}>
          Automation
        </Typography>
        <IconButton aria-label="Close automation" onClick={onClose}>
          <Close />
        </IconButton>
      </Box>
      {open && (
        <>
          <Schedules crewId={crewId} canEdit={canEdit} />
          <Divider sx={{ my: 2 }} />
          <Triggers crewId={crewId} canEdit={canEdit} />
        </>
      )}
    </Drawer>
  );
}

function LastFire({ schedule }: { schedule: Schedule }) {
  const fire = schedule.last_fire;
  if (!fire) return <>never ran</>;
  if (fire.outcome === 'skipped') return <>last: skipped {formatTime(fire.fire_at)}: {fire.reason}</>;
  return (
    <>
      last:{' '}
      {fire.execution_id ? (
        <Link component={RouterLink} to={`/executions/${fire.execution_id}`}>
          run of {formatTime(fire.fire_at)}
        </Link>
      ) : (
        formatTime(fire.fire_at)
      )}
      {fire.reason ? ` (${fire.reason})` : ''}
    </>
  );
}

function Schedules({ crewId, canEdit }: { crewId: string; canEdit: boolean }) {
  const qc = useQueryClient();
  const list = useQuery({ queryKey: keys.schedules(crewId), queryFn: () => schedulesApi.list(crewId) });
  const [editing, setEditing] = useState<Schedule | null | undefined>(undefined);
  const [deleting, setDeleting] = useState<Schedule | null>(null);
  const refresh = () => void qc.invalidateQueries({ queryKey: keys.schedules(crewId) });
  const save = useMutation({
    mutationFn: (fields: Omit<ScheduleCreate, 'crew_id'>) =>
      editing ? schedulesApi.update(editing.id, fields) : schedulesApi.create({ ...fields, crew_id: crewId }),
    onSuccess: () => {
      notify(editing ? 'Schedule saved' : 'Schedule added', 'success');
      setEditing(undefined);
      refresh();
    },
  });
  const toggle = useMutation({
    mutationFn: (s: Schedule) => schedulesApi.update(s.id, { enabled: !s.enabled }),
    onSuccess: refresh,
    onError: (e) => notify(errorMessage(e), 'error'),
  });
  const remove = useMutation({
    mutationFn: (id: string) => schedulesApi.remove(id),
    onSuccess: () => {
      setDeleting(null);
      notify('Schedule deleted', 'success');
      refresh();
    },
    onError: (e) => notify(errorMessage(e), 'error'),
  });
  const open = (s: Schedule | null) => {
    save.reset();
    setEditing(s);
  };
  return (
    <Box component="section" aria-label="Schedules">
      <Box sx={{ display: 'flex', alignItems: 'center' }}>
        <Typography variant="subtitle1" component="h3" sx={{ flex: 1 }}>
          Schedules
        </Typography>
        <Button size="small" startIcon={<Add />} disabled={!canEdit} onClick={() => open(null)}>
          Add schedule
        </Button>
      </Box>
      {list.isError && <Alert severity="error">{errorMessage(list.error)}</Alert>}
      <List dense>
        {list.data?.map((s) => (
          <ListItem
            key={s.id}
            data-testid={`schedule-${s.name}`}
            secondaryAction={
              <>
                <Switch size="small" checked={s.enabled} disabled={!canEdit} onChange={() => toggle.mutate(s)} slotProps={{ input: { 'aria-label': `Enable ${s.name}` } }} />
                <IconButton aria-label={`Edit ${s.name}`} disabled={!canEdit} onClick={() => open(s)}>
                  <Edit fontSize="small" />
                </IconButton>
                <IconButton aria-label={`Delete ${s.name}`} disabled={!canEdit} onClick={() => setDeleting(s)}>
                  <Delete fontSize="small" />
                </IconButton>
              </>
            }
            sx={{ pr: 16 }}
          >
            <ListItemText
              primary={
                <>
                  {s.name} <code>{s.cron}</code> <Typography component="span" variant="caption">{s.timezone}</Typography>
                </>
              }
              secondary={
                <>
                  {s.enabled ? `next: ${formatTime(s.next_fire_times[0])}` : 'disabled'} · <LastFire schedule={s} />
                </>
              }
            />
          </ListItem>
        ))}
        {list.data?.length === 0 && (
          <Typography variant="body2" color="text.secondary">
            No schedules. Add one to run this crew on a cron.
          </Typography>
        )}
      </List>
      {editing !== undefined && (
        <ScheduleForm editing={editing ?? undefined} busy={save.isPending} error={save.error ? errorMessage(save.error) : null} onSubmit={(f) => save.mutate(f)} onCancel={() => setEditing(undefined)} />
      )}
      <ConfirmDialog
        open={Boolean(deleting)}
        title="Delete schedule?"
        message={deleting ? `${deleting.name} will start no more runs. Its past runs stay.` : ''}
        confirmLabel="Delete"
        destructive
        busy={remove.isPending}
        onConfirm={() => deleting && remove.mutate(deleting.id)}
        onCancel={() => setDeleting(null)}
      />
    </Box>
  );
}

function Triggers({ crewId, canEdit }: { crewId: string; canEdit: boolean }) {
  const qc = useQueryClient();
  const list = useQuery({ queryKey: keys.triggers(crewId), queryFn: () => triggersApi.list(crewId) });
  const [name, setName] = useState('');
  const [created, setCreated] = useState<TriggerCreated | null>(null);
  const [revoking, setRevoking] = useState<Trigger | null>(null);
  const refresh = () => void qc.invalidateQueries({ queryKey: keys.triggers(crewId) });
  const create = useMutation({
    mutationFn: () => triggersApi.create({ crew_id: crewId, name: name.trim() }),
    onSuccess: (trigger) => {
      setCreated(trigger);
      setName('');
      refresh();
    },
    onError: (e) => notify(errorMessage(e), 'error'),
  });
  const revoke = useMutation({
    mutationFn: (id: string) => triggersApi.revoke(id),
    onSuccess: () => {
      setRevoking(null);
      notify('Trigger revoked', 'success');
      refresh();
    },
    onError: (e) => notify(errorMessage(e), 'error'),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (name.trim()) create.mutate();
  };
  const fireUrl = (path: string) => `${window.location.origin}${path}`;
  return (
    <Box component="section" aria-label="Triggers">
      <Typography variant="subtitle1" component="h3">
        Triggers
      </Typography>
      <Typography variant="body2" color="text.secondary" sx={{ mb: 1 }}>
        Another system starts a run with a POST and the trigger’s secret; the JSON body is the run’s inputs.
      </Typography>
      {created && (
        <ShownOnce noun="secret" label={`Secret of "${created.name}"`} value={created.token} testId="new-trigger-token">
          <Typography variant="caption" component="pre" sx={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere', mt: 1 }}>
            {`curl -X POST ${fireUrl(created.fire_url)} \\\n  -H "Authorization: Bearer <secret>" \\\n  -H "Content-Type: application/json" -d '{}'`}
          </Typography>
        </ShownOnce>
      )}
      <Box component="form" onSubmit={submit} sx={{ display: 'flex', gap: 1, alignItems: 'center', mb: 1 }}>
        <TextField size="small" label="Trigger name" value={name} onChange={(e) => setName(e.target.value)} disabled={!canEdit} sx={{ flex: 1 }} />
        <Button type="submit" startIcon={<Add />} disabled={!canEdit || !name.trim() || create.isPending}>
          Add trigger
        </Button>
      </Box>
      {list.isError && <Alert severity="error">{errorMessage(list.error)}</Alert>}
      <List dense>
        {list.data?.map((t) => (
          <ListItem
            key={t.id}
            data-testid={`trigger-${t.name}`}
            secondaryAction={
              t.revoked_at ? (
                <Chip size="small" label="revoked" />
              ) : (
                <Button size="small" color="error" disabled={!canEdit} onClick={() => setRevoking(t)}>
                  Revoke
                </Button>
              )
            }
          >
            <ListItemText primary={<>{t.name} <code>{t.token_hint}…</code></>} secondary={`last fired: ${formatTime(t.last_fired_at)}`} />
          </ListItem>
        ))}
        {list.data?.length === 0 && (
          <Typography variant="body2" color="text.secondary">
            No triggers.
          </Typography>
        )}
      </List>
      <ConfirmDialog
        open={Boolean(revoking)}
        title="Revoke trigger?"
        message={revoking ? `${revoking.name}’s secret will start no more runs. This cannot be undone.` : ''}
        confirmLabel="Revoke"
        destructive
        busy={revoke.isPending}
        onConfirm={() => revoking && revoke.mutate(revoking.id)}
        onCancel={() => setRevoking(null)}
      />
    </Box>
  );
}

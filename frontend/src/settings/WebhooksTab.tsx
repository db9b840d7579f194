import Delete from '@mui/icons-material/Delete';
import Edit from '@mui/icons-material/Edit';
import ExpandLess from '@mui/icons-material/ExpandLess';
import ExpandMore from '@mui/icons-material/ExpandMore';
import Alert from '@mui/material/Alert';
import Chip from '@mui/material/Chip';
import IconButton from '@mui/material/IconButton';
import Switch from '@mui/material/Switch';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import { useQuery } from '@tanstack/react-query';
import { Fragment, useState } from 'react';
import { errorMessage } from '../api/client';
import { webhooksApi } from '../api/endpoints';
import { keys, usePermissions } from '../api/hooks';
import type { Webhook, WebhookCreate, WebhookUpdate } from '../api/types';
import { formatTime } from '../common/format';
import PageLoader from '../common/PageLoader';
import ShownOnce from '../common/ShownOnce';
import { EmptyRow } from '../common/TableParts';

import SourceSection from './SourceSection';
import { useEnabledToggle, useSourceCrud } from './useSourceCrud';
import WebhookForm, { type WebhookFields } from './WebhookForm';

const FIELDS: readonly WebhookFields[] = ['url', 'events', 'secret', 'description'];
const FIELD_OF_CODE: Partial<Record<string, WebhookFields>> = { webhook_url_refused: 'url' };

function Deliveries({ webhook }: { webhook: Webhook }) {
  const list = useQuery({ queryKey: keys.deliveries(webhook.id), queryFn: () => webhooksApi.deliveries(webhook.id) });
  if (list.isPending) return <PageLoader label="Loading deliveries" />;
  if (list.isError) return <Alert severity="error">{errorMessage(list.error)}</Alert>;
  return (
    <Table size="small" aria-label="Deliveries">
      <TableHead>
        <TableRow>
          <TableCell>When</TableCell>
          <TableCell>Event</TableCell>
          <TableCell>Status</TableCell>
          <TableCell>Tries</TableCell>
          <TableCell>Last answer</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {list.data.map((d) => (
          <TableRow key={d.id} data-testid={`delivery-${d.status}`}>
            <TableCell>{formatTime(d.created_at)}</TableCell>
            <TableCell>{d.event}</TableCell>
            <TableCell>
              <Chip size="small" label={d.status} color={d.status === 'delivered' ? 'success' : d.status === 'failed' ? 'error' : 'default'} />
              {d.next_attempt_at && (
                <Typography variant="caption" component="div">
                  next try {formatTime(d.next_attempt_at)}
                </Typography>
              )}
            </TableCell>
            <TableCell>{d.attempts}</TableCell>
            <TableCell sx={{ overflowWrap: 'anywhere', maxWidth: 360 }}>{d.last_error ?? (d.last_status_code ? `HTTP ${d.last_status_code}` : '—')}</TableCell>
          </TableRow>
        ))}
        {list.data.length === 0 && <EmptyRow colSpan={5}>No deliveries yet.</EmptyRow>}
      </TableBody>
    </Table>
  );
}

export default function WebhooksTab() {
  const { canEdit } = usePermissions();
  const list = useQuery({ queryKey: keys.webhooks, queryFn: webhooksApi.list });
  const [secret, setSecret] = useState<string | null>(null);
  const [expanded, setExpanded] = useState<string | null>(null);
  const crud = useSourceCrud<Webhook, WebhookCreate, WebhookUpdate, WebhookFields>({
    api: webhooksApi,
    fields: FIELDS,
    fieldOfCode: FIELD_OF_CODE,
    refresh: [keys.webhooks],
    savedMessage: (_, created) => (created ? 'Webhook added' : 'Webhook saved'),
    onSaved: (saved) => setSecret('secret' in saved && typeof saved.secret === 'string' ? saved.secret : null),
    deletedMessage: 'Webhook deleted',
  });
  const toggle = useEnabledToggle(webhooksApi.update, crud.refresh);
  if (list.isPending) return <PageLoader label="Loading webhooks" />;
  return (
    <>
      {secret && <ShownOnce noun="secret" label="Signing secret" value={secret} testId="new-webhook-secret" />}
      <SourceSection
        crud={crud}
        intro="Kasal POSTs signed JSON to these URLs when a run of this group reaches a state they listen to (see docs/automation.md for checking the signature)."
        addLabel="Add webhook"
        canEdit={canEdit}
        listError={list.error}
        tableLabel="Webhooks"
        form={crud.formProps && <WebhookForm {...crud.formProps} />}
        deleteTitle="Delete webhook?"
        deleteMessage={(w) => `${w.url} will hear of no more runs; its delivery log is deleted too.`}
      >
        <TableHead>
          <TableRow>
            <TableCell>URL</TableCell>
            <TableCell>Events</TableCell>
            <TableCell>Enabled</TableCell>
            <TableCell align="right">Actions</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {list.data?.map((w) => (
            <Fragment key={w.id}>
              <TableRow data-testid="webhook-row">
                <TableCell sx={{ maxWidth: 360 }}>
                  <code style={{ overflowWrap: 'anywhere' }}>{w.url}</code>
                  {w.description && (
                    <Typography variant="caption" color="text.secondary" component="div">
                      {w.description}
                    </Typography>
                  )}
                  {w.disabled_reason && (
                    <Typography variant="caption" color="error" component="div" role="status">
                      {w.disabled_reason}
                    </Typography>
                  )}
                </TableCell>
                <TableCell>{w.events.map((e) => e.replace('execution.', '')).join(', ')}</TableCell>
                <TableCell>
                  <Switch checked={w.enabled} disabled={!canEdit} onChange={() => toggle.mutate(w)} slotProps={{ input: { 'aria-label': `Enable ${w.url}` } }} />
                </TableCell>
                <TableCell align="right" sx={{ whiteSpace: 'nowrap' }}>
                  <IconButton aria-label={`Deliveries of ${w.url}`} aria-expanded={expanded === w.id} onClick={() => setExpanded(expanded === w.id ? null : w.id)}>
                    {expanded === w.id ? <ExpandLess fontSize="small" /> : <ExpandMore fontSize="small" />}
                  </IconButton>
                  <IconButton aria-label={`Edit ${w.url}`} disabled={!canEdit} onClick={() => crud.open(w)}>
                    <Edit fontSize="small" />
                  </IconButton>
                  <IconButton aria-label={`Delete ${w.url}`} disabled={!canEdit} onClick={() => crud.setDeleting(w)}>
                    <Delete fontSize="small" />
                  </IconButton>
                </TableCell>
              </TableRow>
              {expanded === w.id && (
                <TableRow>
                  <TableCell colSpan={4}>
                    <Deliveries webhook={w} />
                  </TableCell>
                </TableRow>
              )}
            </Fragment>
          ))}
          {list.data?.length === 0 && <EmptyRow colSpan={4}>No webhooks yet. Add one to tell another system when runs end.</EmptyRow>}
        </TableBody>
      </SourceSection>
    </>
  );
}

import Add from '@mui/icons-material/Add';
import Delete from '@mui/icons-material/Delete';
import Edit from '@mui/icons-material/Edit';
import ExpandLess from '@mui/icons-material/ExpandLess';
import ExpandMore from '@mui/icons-material/ExpandMore';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import IconButton from '@mui/material/IconButton';
import Paper from '@mui/material/Paper';
import Switch from '@mui/material/Switch';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Fragment, useState } from 'react';
import { errorMessage } from '../api/client';
import { openApiSourcesApi } from '../api/endpoints';
import { keys, useOpenApiSources, useOpenApiTools, usePermissions } from '../api/hooks';
import type { OpenApiSource, OpenApiSourceCreate, OpenApiSourceUpdate } from '../api/types';
import ConfirmDialog from '../common/ConfirmDialog';
import { notify } from '../common/notify';
import PageLoader from '../common/PageLoader';
import { EmptyRow } from '../common/TableParts';
import OpenApiSourceForm, { type OpenApiFields } from './OpenApiSourceForm';
import { formErrors, type FormErrors } from './serverErrors';

const FIELDS: readonly OpenApiFields[] = ['name', 'description', 'url', 'document', 'base_url', 'secret'];
const FIELD_OF_CODE: Partial<Record<string, OpenApiFields>> = {
  openapi_source_exists: 'name',
  openapi_document_invalid: 'document',
  openapi_document_too_large: 'document',
  openapi_fetch_failed: 'url',
  openapi_base_url_missing: 'base_url',
  openapi_base_url_invalid: 'base_url',
  openapi_secret_missing: 'secret',
};
const COLUMNS = 6;
const NO_ERRORS: FormErrors<OpenApiFields> = { fields: {}, form: null };

function authSummary({ auth }: OpenApiSource): string {
  if (auth.type === 'none') return 'None';
  const kind = auth.type === 'bearer' ? 'Bearer token' : `API key in ${auth.location} ${auth.name}`;
  return auth.has_secret ? kind : `${kind} (no secret stored)`;
}

/** The tools a document gives: one per operation. */
function Operations({ source }: { source: OpenApiSource }) {
  const tools = useOpenApiTools(source.id);
  if (tools.isPending) return <PageLoader label="Loading operations" />;
  if (tools.isError) return <Alert severity="error">{errorMessage(tools.error)}</Alert>;
  return (
    <Table size="small" aria-label={`Operations of ${source.name}`}>
      <TableHead>
        <TableRow>
          <TableCell>Tool</TableCell>
          <TableCell>Method</TableCell>
          <TableCell>Path</TableCell>
          <TableCell>Summary</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {tools.data.map((t) => (
          <TableRow key={t.tool_id} data-testid={`operation-${t.tool_id}`}>
            <TableCell>
              <code>{t.name}</code>
            </TableCell>
            <TableCell>{t.method.toUpperCase()}</TableCell>
            <TableCell>
              <code>{t.path}</code>
            </TableCell>
            <TableCell>{t.summary || t.description}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

export default function OpenApiTab() {
  const qc = useQueryClient();
  const { canEdit } = usePermissions();
  const list = useOpenApiSources();
  const [editing, setEditing] = useState<OpenApiSource | null | undefined>(undefined);
  const [deleting, setDeleting] = useState<OpenApiSource | null>(null);
  const [expanded, setExpanded] = useState<string | null>(null);
  const [saveErrors, setSaveErrors] = useState(NO_ERRORS);
  const refresh = () => {
    void qc.invalidateQueries({ queryKey: keys.openApiSources });
    void qc.invalidateQueries({ queryKey: keys.tools });
  };
  const open = (source: OpenApiSource | null) => {
    setSaveErrors(NO_ERRORS);
    setEditing(source);
  };
  const save = useMutation({
    mutationFn: (body: OpenApiSourceCreate | OpenApiSourceUpdate) =>
      editing ? openApiSourcesApi.update(editing.id, body) : openApiSourcesApi.create(body as OpenApiSourceCreate),
    onMutate: () => setSaveErrors(NO_ERRORS),
    onSuccess: (saved) => {
      notify(`${saved.name}: ${saved.operation_count} operation${saved.operation_count === 1 ? '' : 's'}`, 'success');
      setEditing(undefined);
      refresh();
    },
    onError: (e) => setSaveErrors(formErrors(e, FIELDS, FIELD_OF_CODE)),
  });
  const toggle = useMutation({
    mutationFn: (s: OpenApiSource) => openApiSourcesApi.update(s.id, { enabled: !s.enabled }),
    onSuccess: refresh,
    onError: (e) => notify(errorMessage(e), 'error'),
  });
  const remove = useMutation({
    mutationFn: (id: string) => openApiSourcesApi.remove(id),
    onSuccess: () => {
      setDeleting(null);
      notify('OpenAPI document deleted', 'success');
      refresh();
    },
    onError: (e) => notify(errorMessage(e), 'error'),
  });
  if (list.isPending) return <PageLoader label="Loading OpenAPI documents" />;
  return (
    <Box>
      <Box sx={{ display: 'flex', alignItems: 'center', mb: 2 }}>
        <Typography variant="body2" color="text.secondary" sx={{ flex: 1 }}>
          HTTP APIs described by an OpenAPI 3 document: each operation becomes a tool. Secrets are stored encrypted and never shown again.
        </Typography>
        <Button startIcon={<Add />} variant="contained" disabled={!canEdit} onClick={() => open(null)}>
          Register a document
        </Button>
      </Box>
      {list.isError && <Alert severity="error">{errorMessage(list.error)}</Alert>}
      <TableContainer component={Paper} variant="outlined">
        <Table size="small" aria-label="OpenAPI documents">
          <TableHead>
            <TableRow>
              <TableCell>Enabled</TableCell>
              <TableCell>Name</TableCell>
              <TableCell>Base URL</TableCell>
              <TableCell>Authentication</TableCell>
              <TableCell>Operations</TableCell>
              <TableCell align="right">Actions</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {list.data?.map((s) => (
              <Fragment key={s.id}>
                <TableRow data-testid={`openapi-row-${s.name}`}>
                  <TableCell>
                    <Switch
                      checked={s.enabled}
                      disabled={!canEdit || toggle.isPending}
                      onChange={() => toggle.mutate(s)}
                      slotProps={{ input: { 'aria-label': `${s.enabled ? 'Disable' : 'Enable'} ${s.name}` } }}
                    />
                  </TableCell>
                  <TableCell>
                    {s.name}
                    <Typography variant="caption" color="text.secondary" component="div">
                      {s.title} {s.doc_version}
                      {s.description && ` · ${s.description}`}
                    </Typography>
                  </TableCell>
                  <TableCell sx={{ overflowWrap: 'anywhere' }}>
                    <code>{s.base_url}</code>
                  </TableCell>
                  <TableCell>{authSummary(s)}</TableCell>
                  <TableCell>
                    <Button
                      size="small"
                      endIcon={expanded === s.id ? <ExpandLess /> : <ExpandMore />}
                      aria-expanded={expanded === s.id}
                      onClick={() => setExpanded(expanded === s.id ? null : s.id)}
                    >
                      {s.operation_count} tool{s.operation_count === 1 ? '' : 's'}
                    </Button>
                  </TableCell>
                  <TableCell align="right" sx={{ whiteSpace: 'nowrap' }}>
                    <IconButton aria-label={`Edit ${s.name}`} disabled={!canEdit} onClick={() => open(s)}>
                      <Edit fontSize="small" />
                    </IconButton>
                    <IconButton aria-label={`Delete ${s.name}`} disabled={!canEdit} onClick={() => setDeleting(s)}>
                      <Delete fontSize="small" />
                    </IconButton>
                  </TableCell>
                </TableRow>
                {expanded === s.id && (
                  <TableRow>
                    <TableCell colSpan={COLUMNS} sx={{ bgcolor: 'action.hover' }}>
                      <Operations source={s} />
                    </TableCell>
                  </TableRow>
                )}
              </Fragment>
            ))}
            {list.data?.length === 0 && <EmptyRow colSpan={COLUMNS}>No OpenAPI documents yet. Register one to give agents the API's operations as tools.</EmptyRow>}
          </TableBody>
        </Table>
      </TableContainer>
      {editing !== undefined && (
        <OpenApiSourceForm
          editing={editing ?? undefined}
          busy={save.isPending}
          serverErrors={saveErrors.fields}
          error={saveErrors.form}
          onSubmit={(body) => save.mutate(body)}
          onCancel={() => setEditing(undefined)}
        />
      )}
      <ConfirmDialog
        open={Boolean(deleting)}
        title="Delete OpenAPI document?"
        message={`Agents and tasks using openapi:${deleting?.name ?? ''} tools will show a problem until a document of that name is registered again.`}
        confirmLabel="Delete"
        destructive
        busy={remove.isPending}
        onConfirm={() => deleting && remove.mutate(deleting.id)}
        onCancel={() => setDeleting(null)}
      />
    </Box>
  );
}

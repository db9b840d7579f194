import Alert from '@mui/material/Alert';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import { Fragment, useState } from 'react';
import { errorMessage } from '../api/client';
import { openApiSourcesApi } from '../api/endpoints';
import { keys, useOpenApiSources, useOpenApiTools, usePermissions } from '../api/hooks';
import type { OpenApiSource, OpenApiSourceCreate, OpenApiSourceUpdate } from '../api/types';
import { plural } from '../common/format';
import PageLoader from '../common/PageLoader';
import { EmptyRow } from '../common/TableParts';
import OpenApiSourceForm, { type OpenApiFields } from './OpenApiSourceForm';
import { EnabledSwitch, RowActions, ToolsButton, ToolsRow } from './SourceParts';
import SourceSection from './SourceSection';
import { useEnabledToggle, useSourceCrud } from './useSourceCrud';

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
  const { canEdit } = usePermissions();
  const list = useOpenApiSources();
  const [expanded, setExpanded] = useState<string | null>(null);
  const crud = useSourceCrud<OpenApiSource, OpenApiSourceCreate, OpenApiSourceUpdate, OpenApiFields>({
    api: openApiSourcesApi,
    fields: FIELDS,
    fieldOfCode: FIELD_OF_CODE,
    refresh: [keys.openApiSources, keys.tools],
    savedMessage: (saved) => `${saved.name}: ${plural(saved.operation_count, 'operation')}`,
    deletedMessage: 'OpenAPI document deleted',
  });
  const toggle = useEnabledToggle(openApiSourcesApi.update, crud.refresh);
  if (list.isPending) return <PageLoader label="Loading OpenAPI documents" />;
  return (
    <SourceSection
      crud={crud}
      intro="HTTP APIs described by an OpenAPI 3 document: each operation becomes a tool. Secrets are stored encrypted and never shown again."
      addLabel="Register a document"
      canEdit={canEdit}
      listError={list.error}
      tableLabel="OpenAPI documents"
      form={crud.formProps && <OpenApiSourceForm {...crud.formProps} />}
      deleteTitle="Delete OpenAPI document?"
      deleteMessage={(s) => `Agents and tasks using openapi:${s.name} tools will show a problem until a document of that name is registered again.`}
    >
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
                <EnabledSwitch source={s} disabled={!canEdit || toggle.isPending} onToggle={() => toggle.mutate(s)} />
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
                <ToolsButton expanded={expanded === s.id} onClick={() => setExpanded(expanded === s.id ? null : s.id)}>
                  {plural(s.operation_count, 'tool')}
                </ToolsButton>
              </TableCell>
              <RowActions source={s} crud={crud} canEdit={canEdit} />
            </TableRow>
            {expanded === s.id && (
              <ToolsRow colSpan={COLUMNS}>
                <Operations source={s} />
              </ToolsRow>
            )}
          </Fragment>
        ))}
        {list.data?.length === 0 && <EmptyRow colSpan={COLUMNS}>No OpenAPI documents yet. Register one to give agents the API's operations as tools.</EmptyRow>}
      </TableBody>
    </SourceSection>
  );
}

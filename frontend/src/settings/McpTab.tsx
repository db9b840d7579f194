import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Fragment, useState } from 'react';
import { errorMessage } from '../api/client';
import { mcpServersApi } from '../api/endpoints';
import { keys, useMcpServers, useMcpTools, usePermissions } from '../api/hooks';
import type { McpServer, McpServerCreate, McpServerUpdate } from '../api/types';
import { formatTime, plural } from '../common/format';
import { notify } from '../common/notify';
import PageLoader from '../common/PageLoader';
import { EmptyRow } from '../common/TableParts';
import McpServerForm, { type McpFields } from './McpServerForm';
import { EnabledSwitch, RowActions, TestButton, ToolsButton, ToolsRow } from './SourceParts';
import SourceSection from './SourceSection';
import { useEnabledToggle, useSourceCrud } from './useSourceCrud';

const FIELDS: readonly McpFields[] = ['name', 'transport', 'command', 'args', 'cwd', 'env', 'url', 'headers'];
const FIELD_OF_CODE: Partial<Record<string, McpFields>> = { mcp_server_name_taken: 'name', mcp_url_refused: 'url', mcp_stdio_not_allowed: 'command' };
const COLUMNS = 6;

function target(s: McpServer): string {
  return s.transport === 'stdio' ? [s.command, ...s.args].join(' ') : (s.url ?? '');
}

function toolsLabel(s: McpServer): string {
  if (s.last_error) return 'Unreachable';
  return s.tool_count === null ? 'Not tested' : plural(s.tool_count, 'tool');
}

/** What the last test found: the tools, or why the server could not be reached. */
function DiscoveredTools({ server }: { server: McpServer }) {
  const found = useMcpTools(server.id);
  if (found.isPending) return <PageLoader label="Loading tools" />;
  if (found.isError) return <Alert severity="error">{errorMessage(found.error)}</Alert>;
  const { ok, error, tools, discovered_at } = found.data;
  return (
    <Box data-testid={`mcp-tools-${server.name}`}>
      {!ok && error && (
        <Alert severity="error" sx={{ mb: 1 }}>
          {error}
        </Alert>
      )}
      {discovered_at === null ? (
        !error && (
          <Typography variant="body2" color="text.secondary">
            Never tested: test the server to discover its tools.
          </Typography>
        )
      ) : (
        <Table size="small" aria-label={`Tools of ${server.name}`}>
          <TableHead>
            <TableRow>
              <TableCell>Tool (found {formatTime(discovered_at)})</TableCell>
              <TableCell>Description</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {tools.map((t) => (
              <TableRow key={t.name}>
                <TableCell>
                  <code>{t.name}</code>
                </TableCell>
                <TableCell>{t.description}</TableCell>
              </TableRow>
            ))}
            {tools.length === 0 && <EmptyRow colSpan={2}>The server offers no tools.</EmptyRow>}
          </TableBody>
        </Table>
      )}
    </Box>
  );
}

export default function McpTab() {
  const qc = useQueryClient();
  const { canEdit } = usePermissions();
  const list = useMcpServers();
  const [expanded, setExpanded] = useState<string | null>(null);
  const crud = useSourceCrud<McpServer, McpServerCreate, McpServerUpdate, McpFields>({
    api: mcpServersApi,
    fields: FIELDS,
    fieldOfCode: FIELD_OF_CODE,
    refresh: [keys.mcpServers],
    savedMessage: (_, created) => (created ? 'MCP server added: test it to discover its tools' : 'MCP server saved'),
    deletedMessage: 'MCP server deleted',
  });
  const toggle = useEnabledToggle(mcpServersApi.update, crud.refresh);
  const test = useMutation({
    mutationFn: (id: string) => mcpServersApi.test(id),
    onSuccess: (found, id) => {
      qc.setQueryData(keys.mcpTools(id), found);
      setExpanded(id);
      crud.refresh();
    },
    onError: (e) => notify(errorMessage(e), 'error'),
  });
  if (list.isPending) return <PageLoader label="Loading MCP servers" />;
  return (
    <SourceSection
      crud={crud}
      intro="Model Context Protocol servers whose tools agents may call. Environment values and headers are stored encrypted and never shown again."
      addLabel="Add MCP server"
      canEdit={canEdit}
      listError={list.error}
      tableLabel="MCP servers"
      form={crud.formProps && <McpServerForm {...crud.formProps} />}
      deleteTitle="Delete MCP server?"
      deleteMessage={(s) => `Agents and tasks using mcp:${s.name} tools will show a problem until a server of that name is added again.`}
    >
      <TableHead>
        <TableRow>
          <TableCell>Enabled</TableCell>
          <TableCell>Name</TableCell>
          <TableCell>Transport</TableCell>
          <TableCell>Runs / connects to</TableCell>
          <TableCell>Tools</TableCell>
          <TableCell align="right">Actions</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {list.data?.map((s) => (
          <Fragment key={s.id}>
            <TableRow data-testid={`mcp-row-${s.name}`}>
              <TableCell>
                <EnabledSwitch source={s} disabled={!canEdit || toggle.isPending} onToggle={() => toggle.mutate(s)} />
              </TableCell>
              <TableCell>{s.name}</TableCell>
              <TableCell>{s.transport}</TableCell>
              <TableCell sx={{ maxWidth: 320, overflowWrap: 'anywhere' }}>
                <code>{target(s)}</code>
                {[...s.env_names, ...s.header_names].length > 0 && (
                  <Typography variant="caption" color="text.secondary" component="div">
                    Set: {[...s.env_names, ...s.header_names].join(', ')}
                  </Typography>
                )}
              </TableCell>
              <TableCell>
                <ToolsButton expanded={expanded === s.id} error={Boolean(s.last_error)} onClick={() => setExpanded(expanded === s.id ? null : s.id)}>
                  {toolsLabel(s)}
                </ToolsButton>
              </TableCell>
              <RowActions source={s} crud={crud} canEdit={canEdit}>
                <TestButton source={s} testing={test.isPending && test.variables === s.id} disabled={!canEdit} onClick={() => test.mutate(s.id)} />
              </RowActions>
            </TableRow>
            {expanded === s.id && (
              <ToolsRow colSpan={COLUMNS}>
                <DiscoveredTools server={s} />
              </ToolsRow>
            )}
          </Fragment>
        ))}
        {list.data?.length === 0 && <EmptyRow colSpan={COLUMNS}>No MCP servers yet. Add one, then test it to discover its tools.</EmptyRow>}
      </TableBody>
    </SourceSection>
  );
}

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
import { mcpServersApi } from '../api/endpoints';
import { keys, useMcpServers, useMcpTools, usePermissions } from '../api/hooks';
import type { McpServer, McpServerCreate, McpServerUpdate } from '../api/types';
import ConfirmDialog from '../common/ConfirmDialog';
import { formatTime } from '../common/format';
import { notify } from '../common/notify';
import PageLoader from '../common/PageLoader';
import { EmptyRow } from '../common/TableParts';
import McpServerForm, { type McpFields } from './McpServerForm';
import { formErrors, type FormErrors } from './serverErrors';

const FIELDS: readonly McpFields[] = ['name', 'transport', 'command', 'args', 'cwd', 'env', 'url', 'headers'];
const FIELD_OF_CODE: Partial<Record<string, McpFields>> = { mcp_server_name_taken: 'name', mcp_url_refused: 'url', mcp_stdio_not_allowed: 'command' };
const COLUMNS = 6;
const NO_ERRORS: FormErrors<McpFields> = { fields: {}, form: null };

function target(s: McpServer): string {
  return s.transport === 'stdio' ? [s.command, ...s.args].join(' ') : (s.url ?? '');
}

function toolsLabel(s: McpServer): string {
  if (s.tool_count === null) return 'Not tested';
  return `${s.tool_count} tool${s.tool_count === 1 ? '' : 's'}`;
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
        <Typography variant="body2" color="text.secondary">
          Never tested: test the server to discover its tools.
        </Typography>
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
  const [editing, setEditing] = useState<McpServer | null | undefined>(undefined);
  const [deleting, setDeleting] = useState<McpServer | null>(null);
  const [expanded, setExpanded] = useState<string | null>(null);
  const [saveErrors, setSaveErrors] = useState(NO_ERRORS);
  const refresh = () => void qc.invalidateQueries({ queryKey: keys.mcpServers });
  const open = (server: McpServer | null) => {
    setSaveErrors(NO_ERRORS);
    setEditing(server);
  };
  const save = useMutation({
    mutationFn: (body: McpServerCreate | McpServerUpdate) => (editing ? mcpServersApi.update(editing.id, body) : mcpServersApi.create(body as McpServerCreate)),
    onMutate: () => setSaveErrors(NO_ERRORS),
    onSuccess: () => {
      notify(editing ? 'MCP server saved' : 'MCP server added: test it to discover its tools', 'success');
      setEditing(undefined);
      refresh();
    },
    onError: (e) => setSaveErrors(formErrors(e, FIELDS, FIELD_OF_CODE)),
  });
  const test = useMutation({
    mutationFn: (id: string) => mcpServersApi.test(id),
    onSuccess: (found, id) => {
      qc.setQueryData(keys.mcpTools(id), found);
      setExpanded(id);
      refresh();
    },
    onError: (e) => notify(errorMessage(e), 'error'),
  });
  const toggle = useMutation({
    mutationFn: (s: McpServer) => mcpServersApi.update(s.id, { enabled: !s.enabled }),
    onSuccess: refresh,
    onError: (e) => notify(errorMessage(e), 'error'),
  });
  const remove = useMutation({
    mutationFn: (id: string) => mcpServersApi.remove(id),
    onSuccess: () => {
      setDeleting(null);
      notify('MCP server deleted', 'success');
      refresh();
    },
    onError: (e) => notify(errorMessage(e), 'error'),
  });
  if (list.isPending) return <PageLoader label="Loading MCP servers" />;
  return (
    <Box>
      <Box sx={{ display: 'flex', alignItems: 'center', mb: 2 }}>
        <Typography variant="body2" color="text.secondary" sx={{ flex: 1 }}>
          Model Context Protocol servers whose tools agents may call. Environment values and headers are stored encrypted and never shown again.
        </Typography>
        <Button startIcon={<Add />} variant="contained" disabled={!canEdit} onClick={() => open(null)}>
          Add MCP server
        </Button>
      </Box>
      {list.isError && <Alert severity="error">{errorMessage(list.error)}</Alert>}
      <TableContainer component={Paper} variant="outlined">
        <Table size="small" aria-label="MCP servers">
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
                    <Switch
                      checked={s.enabled}
                      disabled={!canEdit || toggle.isPending}
                      onChange={() => toggle.mutate(s)}
                      slotProps={{ input: { 'aria-label': `${s.enabled ? 'Disable' : 'Enable'} ${s.name}` } }}
                    />
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
                    <Button size="small" color={s.last_error ? 'error' : 'primary'} endIcon={expanded === s.id ? <ExpandLess /> : <ExpandMore />} aria-expanded={expanded === s.id} onClick={() => setExpanded(expanded === s.id ? null : s.id)}>
                      {s.last_error ? 'Unreachable' : toolsLabel(s)}
                    </Button>
                  </TableCell>
                  <TableCell align="right" sx={{ whiteSpace: 'nowrap' }}>
                    <Button size="small" disabled={!canEdit || (test.isPending && test.variables === s.id)} onClick={() => test.mutate(s.id)} aria-label={`Test ${s.name}`}>
                      {test.isPending && test.variables === s.id ? 'Testing…' : 'Test'}
                    </Button>
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
                      <DiscoveredTools server={s} />
                    </TableCell>
                  </TableRow>
                )}
              </Fragment>
            ))}
            {list.data?.length === 0 && <EmptyRow colSpan={COLUMNS}>No MCP servers yet. Add one, then test it to discover its tools.</EmptyRow>}
          </TableBody>
        </Table>
      </TableContainer>
      {editing !== undefined && (
        <McpServerForm
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
        title="Delete MCP server?"
        message={`Agents and tasks using mcp:${deleting?.name ?? ''} tools will show a problem until a server of that name is added again.`}
        confirmLabel="Delete"
        destructive
        busy={remove.isPending}
        onConfirm={() => deleting && remove.mutate(deleting.id)}
        onCancel={() => setDeleting(null)}
      />
    </Box>
  );
}

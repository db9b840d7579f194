import CheckCircleOutline from '@mui/icons-material/CheckCircleOutlineOutlined';
import ErrorOutline from '@mui/icons-material/ErrorOutlineOutlined';
import WarningAmber from '@mui/icons-material/WarningAmber';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Chip from '@mui/material/Chip';
import Link from '@mui/material/Link';
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
import { Link as RouterLink } from 'react-router';
import { errorMessage } from '../api/client';
import { toolsApi } from '../api/endpoints';
import { keys, usePermissions, useTools } from '../api/hooks';
import type { Tool } from '../api/types';
import { API_KEYS_PATH, providerLabel } from '../common/providers';
import { notify } from '../common/notify';
import PageLoader from '../common/PageLoader';
import { categoryLabel, sortTools } from '../canvas/toolCatalog';

/** Each API key a tool may use, and whether the group has added it. */
function Credentials({ tool }: { tool: Tool }) {
  if (tool.credentials.length === 0) return <>—</>;
  const missing = tool.credentials.some((c) => !c.configured);
  return (
    <Box sx={{ display: 'flex', flexWrap: 'wrap', gap: 0.5, alignItems: 'center' }}>
      {tool.credentials.map((c) => (
        <Chip
          key={c.provider}
          size="small"
          variant="outlined"
          color={c.configured ? 'success' : 'default'}
          icon={c.configured ? <CheckCircleOutline /> : <ErrorOutline />}
          label={`${providerLabel(c.provider)}: ${c.configured ? 'added' : 'no key'}`}
        />
      ))}
      {missing && (
        <Link component={RouterLink} to={API_KEYS_PATH} variant="caption">
          Add a key
        </Link>
      )}
    </Box>
  );
}

export default function ToolsTab() {
  const qc = useQueryClient();
  const tools = useTools();
  const { isGroupAdmin } = usePermissions();
  const toggle = useMutation({
    mutationFn: ({ id, enabled }: { id: string; enabled: boolean }) => toolsApi.setEnabled(id, enabled),
    onSuccess: () => void qc.invalidateQueries({ queryKey: keys.tools }),
    onError: (e) => notify(errorMessage(e), 'error'),
  });
  if (tools.isPending) return <PageLoader label="Loading tools" />;
  if (tools.isError) return <Alert severity="error">{errorMessage(tools.error)}</Alert>;
  return (
    <TableContainer component={Paper} variant="outlined">
      <Table size="small" aria-label="Tools">
        <TableHead>
          <TableRow>
            <TableCell>Enabled</TableCell>
            <TableCell>Name</TableCell>
            <TableCell>Category</TableCell>
            <TableCell>Description</TableCell>
            <TableCell>API keys</TableCell>
            <TableCell>Settings</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {sortTools(tools.data).map((t) => (
            <TableRow key={t.id} data-testid={`tool-row-${t.id}`}>
              <TableCell>
                <Switch
                  checked={t.enabled}
                  disabled={!isGroupAdmin || toggle.isPending}
                  onChange={() => toggle.mutate({ id: t.id, enabled: !t.enabled })}
                  slotProps={{ input: { 'aria-label': `${t.enabled ? 'Disable' : 'Enable'} ${t.name}` } }}
                />
              </TableCell>
              <TableCell>
                {t.name}
                <Typography variant="caption" color="text.secondary" component="div">
                  {t.id}
                </Typography>
              </TableCell>
              <TableCell>{categoryLabel(t.category)}</TableCell>
              <TableCell>
                {t.description}
                {t.caution && (
                  <Typography variant="caption" color="warning.main" component="div" sx={{ display: 'flex', gap: 0.5, alignItems: 'center', mt: 0.5 }}>
                    <WarningAmber sx={{ fontSize: 16 }} />
                    {t.caution}
                  </Typography>
                )}
              </TableCell>
              <TableCell>
                <Credentials tool={t} />
              </TableCell>
              <TableCell>{Object.keys(t.config_schema?.properties ?? {}).join(', ') || '—'}</TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </TableContainer>
  );
}

import Alert from '@mui/material/Alert';
import Paper from '@mui/material/Paper';
import Switch from '@mui/material/Switch';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { errorMessage } from '../api/client';
import { toolsApi } from '../api/endpoints';
import { keys, usePermissions, useTools } from '../api/hooks';
import { notify } from '../common/notify';
import PageLoader from '../common/PageLoader';

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
            <TableCell>Description</TableCell>
            <TableCell>Settings</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {tools.data.map((t) => (
            <TableRow key={t.id}>
              <TableCell>
                <Switch
                  checked={t.enabled}
                  disabled={!isGroupAdmin || toggle.isPending}
                  onChange={() => toggle.mutate({ id: t.id, enabled: !t.enabled })}
                  slotProps={{ input: { 'aria-label': `${t.enabled ? 'Disable' : 'Enable'} ${t.name}` } }}
                />
              </TableCell>
              <TableCell>{t.name}</TableCell>
              <TableCell>{t.description}</TableCell>
              <TableCell>{Object.keys(t.config_schema?.properties ?? {}).join(', ') || '—'}</TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </TableContainer>
  );
}

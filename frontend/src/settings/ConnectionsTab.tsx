import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { errorMessage } from '../api/client';
import { connectionsApi } from '../api/endpoints';
import { keys, useConnections, usePermissions } from '../api/hooks';
import type { Connection, ConnectionCheck, ConnectionCreate, ConnectionUpdate } from '../api/types';
import { notify } from '../common/notify';
import PageLoader from '../common/PageLoader';
import { EmptyRow } from '../common/TableParts';
import ConnectionForm, { type ConnectionFields } from './ConnectionForm';
import { RowActions, TestButton } from './SourceParts';
import SourceSection from './SourceSection';
import { useSourceCrud } from './useSourceCrud';

const FIELDS: readonly ConnectionFields[] = ['name', 'url', 'password', 'description'];
const FIELD_OF_CODE: Partial<Record<string, ConnectionFields>> = {
  connection_name_taken: 'name',
  invalid_connection_url: 'url',
  connection_path_forbidden: 'url',
};

/** A test's outcome in plain words, as the row shows it. */
function CheckResult({ check }: { check: ConnectionCheck | undefined }) {
  if (!check) return null;
  return (
    <Typography variant="caption" role="status" color={check.ok ? 'success.main' : 'error'} component="div" sx={{ mt: 0.5, overflowWrap: 'anywhere' }}>
      {check.ok ? `Connected: ${check.server_version ?? 'the server answered'} (${check.elapsed_ms} ms)` : `Could not connect: ${check.error ?? 'no reason given'}`}
    </Typography>
  );
}

export default function ConnectionsTab() {
  const { canEdit } = usePermissions();
  const list = useConnections();
  const [checks, setChecks] = useState<Record<string, ConnectionCheck>>({});
  const crud = useSourceCrud<Connection, ConnectionCreate, ConnectionUpdate, ConnectionFields>({
    api: connectionsApi,
    fields: FIELDS,
    fieldOfCode: FIELD_OF_CODE,
    refresh: [keys.connections],
    savedMessage: (_, created) => (created ? 'Connection added' : 'Connection saved'),
    // An edited connection's last test says nothing of the new settings.
    onSaved: (saved) => setChecks(({ [saved.id]: _stale, ...rest }) => rest),
    deletedMessage: 'Connection deleted',
  });
  const test = useMutation({
    mutationFn: (id: string) => connectionsApi.test(id),
    onSuccess: (check, id) => setChecks((all) => ({ ...all, [id]: check })),
    onError: (e) => notify(errorMessage(e), 'error'),
  });
  if (list.isPending) return <PageLoader label="Loading connections" />;
  return (
    <SourceSection
      crud={crud}
      intro="Databases the sql_query tool reads, always read-only. URLs and passwords are stored encrypted and never shown again."
      addLabel="Add connection"
      canEdit={canEdit}
      listError={list.error}
      tableLabel="Connections"
      form={crud.formProps && <ConnectionForm {...crud.formProps} />}
      deleteTitle="Delete connection?"
      deleteMessage={(c) => `sql_query tools naming ${c.name} will stop working until a connection of that name is added again.`}
    >
      <TableHead>
        <TableRow>
          <TableCell>Name</TableCell>
          <TableCell>Database</TableCell>
          <TableCell>URL</TableCell>
          <TableCell>Password</TableCell>
          <TableCell align="right">Actions</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {list.data?.map((c) => (
          <TableRow key={c.id} data-testid={`connection-row-${c.name}`}>
            <TableCell>
              {c.name}
              {c.description && (
                <Typography variant="caption" color="text.secondary" component="div">
                  {c.description}
                </Typography>
              )}
            </TableCell>
            <TableCell>{c.dialect}</TableCell>
            <TableCell sx={{ maxWidth: 360 }}>
              <code style={{ overflowWrap: 'anywhere' }}>{c.url}</code>
              <CheckResult check={checks[c.id]} />
            </TableCell>
            <TableCell>{c.has_password ? 'stored' : '—'}</TableCell>
            <RowActions source={c} crud={crud} canEdit={canEdit}>
              <TestButton source={c} testing={test.isPending && test.variables === c.id} disabled={!canEdit} onClick={() => test.mutate(c.id)} />
            </RowActions>
          </TableRow>
        ))}
        {list.data?.length === 0 && <EmptyRow colSpan={5}>No connections yet. Add one to let agents query a database with sql_query.</EmptyRow>}
      </TableBody>
    </SourceSection>
  );
}

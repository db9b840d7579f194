import Add from '@mui/icons-material/Add';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Paper from '@mui/material/Paper';
import Table from '@mui/material/Table';
import TableContainer from '@mui/material/TableContainer';
import Typography from '@mui/material/Typography';
import type { ReactNode } from 'react';
import { errorMessage } from '../api/client';
import ConfirmDialog from '../common/ConfirmDialog';
import type { SourceCrud } from './useSourceCrud';

interface Props<T extends { id: string }> {
  crud: SourceCrud<T>;
  intro: string;
  addLabel: string;
  canEdit: boolean;
  /** Why the list could not load, if it could not. */
  listError: unknown;
  /** The table's accessible name; `children` are its head and body. */
  tableLabel: string;
  children: ReactNode;
  /** The open form, if any. */
  form: ReactNode;
  deleteTitle: string;
  deleteMessage: (source: T) => string;
}

/** A settings page of tool sources: what they are, an Add button, their table, the form, a delete confirmation. */
export default function SourceSection<T extends { id: string }>({ crud, intro, addLabel, canEdit, listError, tableLabel, children, form, deleteTitle, deleteMessage }: Props<T>) {
  const { deleting } = crud;
  return (
    <Box>
      <Box sx={{ display: 'flex', alignItems: 'center', mb: 2 }}>
        <Typography variant="body2" color="text.secondary" sx={{ flex: 1 }}>
          {intro}
        </Typography>
        <Button startIcon={<Add />} variant="contained" disabled={!canEdit} onClick={() => crud.open(null)}>
          {addLabel}
        </Button>
      </Box>
      {listError ? <Alert severity="error">{errorMessage(listError)}</Alert> : null}
      <TableContainer component={Paper} variant="outlined">
        <Table size="small" aria-label={tableLabel}>
          {children}
        </Table>
      </TableContainer>
      {form}
      <ConfirmDialog
        open={Boolean(deleting)}
        title={deleteTitle}
        message={deleting ? deleteMessage(deleting) : ''}
        confirmLabel="Delete"
        destructive
        busy={crud.remove.isPending}
        onConfirm={() => deleting && crud.remove.mutate(deleting.id)}
        onCancel={() => crud.setDeleting(null)}
      />
    </Box>
  );
}

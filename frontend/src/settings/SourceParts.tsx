import Delete from '@mui/icons-material/Delete';
import Edit from '@mui/icons-material/Edit';
import ExpandLess from '@mui/icons-material/ExpandLess';
import ExpandMore from '@mui/icons-material/ExpandMore';
import Button from '@mui/material/Button';
import IconButton from '@mui/material/IconButton';
import Switch from '@mui/material/Switch';
import TableCell from '@mui/material/TableCell';
import TableRow from '@mui/material/TableRow';
import type { ReactNode } from 'react';
import type { SourceCrud } from './useSourceCrud';

interface Named {
  id: string;
  name: string;
}

/** The last cell of a source's row: its own actions (`children`), then edit and delete. */
export function RowActions<T extends Named>({ source, crud, canEdit, children }: { source: T; crud: SourceCrud<T>; canEdit: boolean; children?: ReactNode }) {
  return (
    <TableCell align="right" sx={{ whiteSpace: 'nowrap' }}>
      {children}
      <IconButton aria-label={`Edit ${source.name}`} disabled={!canEdit} onClick={() => crud.open(source)}>
        <Edit fontSize="small" />
      </IconButton>
      <IconButton aria-label={`Delete ${source.name}`} disabled={!canEdit} onClick={() => crud.setDeleting(source)}>
        <Delete fontSize="small" />
      </IconButton>
    </TableCell>
  );
}

/** Connect to the source now and show what it answered. */
export function TestButton({ source, testing, disabled, onClick }: { source: Named; testing: boolean; disabled: boolean; onClick: () => void }) {
  return (
    <Button size="small" disabled={disabled || testing} onClick={onClick} aria-label={`Test ${source.name}`}>
      {testing ? 'Testing…' : 'Test'}
    </Button>
  );
}

/** A source's enabled switch, named for what it does. */
export function EnabledSwitch({ source, disabled, onToggle }: { source: { name: string; enabled: boolean }; disabled: boolean; onToggle: () => void }) {
  return (
    <Switch
      checked={source.enabled}
      disabled={disabled}
      onChange={onToggle}
      slotProps={{ input: { 'aria-label': `${source.enabled ? 'Disable' : 'Enable'} ${source.name}` } }}
    />
  );
}

/** The button that shows or hides a source's tools under its row. */
export function ToolsButton({ expanded, onClick, error, children }: { expanded: boolean; onClick: () => void; error?: boolean; children: ReactNode }) {
  return (
    <Button size="small" color={error ? 'error' : 'primary'} endIcon={expanded ? <ExpandLess /> : <ExpandMore />} aria-expanded={expanded} onClick={onClick}>
      {children}
    </Button>
  );
}

/** The row under a source's row that lists its tools. */
export function ToolsRow({ colSpan, children }: { colSpan: number; children: ReactNode }) {
  return (
    <TableRow>
      <TableCell colSpan={colSpan} sx={{ bgcolor: 'action.hover' }}>
        {children}
      </TableCell>
    </TableRow>
  );
}

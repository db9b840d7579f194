import MenuItem from '@mui/material/MenuItem';
import TextField from '@mui/material/TextField';
import { useNavigate, useLocation } from 'react-router';
import { useGroups } from '../api/hooks';
import { groupLabel } from './groupLabel';
import { useSession } from '../auth/session';

export default function GroupSwitcher() {
  const { data: groups } = useGroups();
  const groupId = useSession((s) => s.groupId);
  const setGroup = useSession((s) => s.setGroup);
  const navigate = useNavigate();
  const location = useLocation();
  if (!groups || groups.length === 0 || !groupId) return null;
  const known = groups.some((g) => g.id === groupId);
  return (
    <TextField
      select
      label="Group"
      value={known ? groupId : ''}
      onChange={(e) => {
        setGroup(e.target.value);
        // A crew or execution page belongs to the previous group.
        if (/^\/(crews|executions)\/./.test(location.pathname)) {
          navigate(location.pathname.startsWith('/crews') ? '/crews' : '/executions');
        }
      }}
      sx={{ minWidth: 200 }}
      slotProps={{ htmlInput: { 'aria-label': 'Active group' } }}
    >
      {groups.map((g) => (
        <MenuItem key={g.id} value={g.id}>
          {groupLabel(g)} · {g.role}
        </MenuItem>
      ))}
    </TextField>
  );
}

import AppBar from '@mui/material/AppBar';
import Badge from '@mui/material/Badge';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Toolbar from '@mui/material/Toolbar';
import Typography from '@mui/material/Typography';
import { NavLink, Outlet } from 'react-router';
import { useApprovalCount } from '../approvals/useApprovalCount';
import GroupSwitcher from './GroupSwitcher';
import ThemeToggle from './ThemeToggle';
import UserMenu from './UserMenu';

const NAV = [
  { to: '/crews', label: 'Crews' },
  { to: '/flows', label: 'Flows' },
  { to: '/chats', label: 'Chat' },
  { to: '/executions', label: 'Executions' },
  { to: '/approvals', label: 'Approvals' },
  { to: '/knowledge', label: 'Knowledge' },
  { to: '/settings', label: 'Settings' },
];

export default function AppShell() {
  const pending = useApprovalCount();
  return (
    <Box sx={{ display: 'flex', flexDirection: 'column', height: '100vh', minWidth: 1024 }}>
      <AppBar position="static" color="default" elevation={0} sx={{ borderBottom: 1, borderColor: 'divider' }}>
        <Toolbar variant="dense" sx={{ gap: 1 }}>
          <Typography variant="h6" component="div" sx={{ fontWeight: 700, mr: 2 }}>
            Kasal
          </Typography>
          <Box component="nav" aria-label="Main" sx={{ display: 'flex', gap: 0.5 }}>
            {NAV.map((item) => (
              <Button
                key={item.to}
                component={NavLink}
                to={item.to}
                color="inherit"
                sx={{ '&.active': { bgcolor: 'action.selected' } }}
                aria-label={item.to === '/approvals' ? (pending ? `Approvals (${pending} pending)` : 'Approvals') : undefined}
              >
                {item.to === '/approvals' ? (
                  <Badge badgeContent={pending} color="warning" max={99} data-testid="approvals-badge" sx={{ '& .MuiBadge-badge': { right: -10 } }}>
                    {item.label}
                  </Badge>
                ) : (
                  item.label
                )}
              </Button>
            ))}
          </Box>
          <Box sx={{ flex: 1 }} />
          <GroupSwitcher />
          <ThemeToggle />
          <UserMenu />
        </Toolbar>
      </AppBar>
      <Box component="main" sx={{ flex: 1, minHeight: 0, display: 'flex', flexDirection: 'column', overflow: 'auto' }}>
        <Outlet />
      </Box>
    </Box>
  );
}

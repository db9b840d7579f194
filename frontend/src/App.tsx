import CssBaseline from '@mui/material/CssBaseline';
import { ThemeProvider } from '@mui/material/styles';
import { QueryClientProvider } from '@tanstack/react-query';
import { useEffect, useMemo } from 'react';
import { RouterProvider } from 'react-router';
import { queryClient } from './api/queryClient';
import { useSession } from './auth/session';
import Notifications from './common/Notifications';
import { router } from './routes';
import { buildTheme, useThemeMode } from './theme';

export default function App() {
  const mode = useThemeMode((s) => s.mode);
  const theme = useMemo(() => buildTheme(mode), [mode]);
  const restore = useSession((s) => s.restore);

  useEffect(() => {
    void restore();
  }, [restore]);

  return (
    <QueryClientProvider client={queryClient}>
      <ThemeProvider theme={theme}>
        <CssBaseline />
        <RouterProvider router={router} />
        <Notifications />
      </ThemeProvider>
    </QueryClientProvider>
  );
}

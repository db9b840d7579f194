import { createTheme, type Theme } from '@mui/material/styles';
import { create } from 'zustand';

export type ThemeMode = 'light' | 'dark';
const STORAGE_KEY = 'kasal.theme';

function initialMode(): ThemeMode {
  try {
    const stored = localStorage.getItem(STORAGE_KEY);
    if (stored === 'light' || stored === 'dark') return stored;
  } catch {
    // No storage: fall through to the system preference.
  }
  if (typeof window !== 'undefined' && window.matchMedia?.('(prefers-color-scheme: dark)').matches) return 'dark';
  return 'light';
}

interface ThemeState {
  mode: ThemeMode;
  toggle: () => void;
}

export const useThemeMode = create<ThemeState>((set, get) => ({
  mode: initialMode(),
  toggle() {
    const mode: ThemeMode = get().mode === 'light' ? 'dark' : 'light';
    try {
      localStorage.setItem(STORAGE_KEY, mode);
    } catch {
      // Remembered for this page only.
    }
    set({ mode });
  },
}));

export function buildTheme(mode: ThemeMode): Theme {
  return createTheme({
    palette: {
      mode,
      primary: { main: mode === 'light' ? '#3949ab' : '#8c9eff' },
      secondary: { main: mode === 'light' ? '#00897b' : '#4db6ac' },
      background: mode === 'light' ? { default: '#f5f6fa', paper: '#ffffff' } : { default: '#121418', paper: '#1b1e24' },
    },
    shape: { borderRadius: 8 },
    typography: { fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif' },
    components: {
      MuiButton: { defaultProps: { disableElevation: true } },
      MuiTextField: { defaultProps: { size: 'small' } },
      MuiSelect: { defaultProps: { size: 'small' } },
    },
  });
}

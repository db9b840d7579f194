import { create } from 'zustand';

export interface Notice {
  id: number;
  message: string;
  severity: 'success' | 'info' | 'warning' | 'error';
}

interface NotifyState {
  notices: Notice[];
  push: (message: string, severity?: Notice['severity']) => void;
  dismiss: (id: number) => void;
}

let nextId = 1;

export const useNotify = create<NotifyState>((set) => ({
  notices: [],
  push: (message, severity = 'info') =>
    set((s) => ({ notices: [...s.notices, { id: nextId++, message, severity }] })),
  dismiss: (id) => set((s) => ({ notices: s.notices.filter((n) => n.id !== id) })),
}));

export const notify = (message: string, severity: Notice['severity'] = 'info') =>
  useNotify.getState().push(message, severity);

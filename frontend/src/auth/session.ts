/** Who is signed in and which group is active. The access token itself stays in the API client. */
import { create } from 'zustand';
import { api } from '../api/client';
import { usersApi } from '../api/endpoints';
import { queryClient } from '../api/queryClient';
import type { User } from '../api/types';

export type SessionStatus = 'loading' | 'signedIn' | 'signedOut';

interface SessionState {
  status: SessionStatus;
  user: User | null;
  groupId: string | null;
  restore: () => Promise<void>;
  signIn: (username: string, password: string) => Promise<void>;
  signOut: () => Promise<void>;
  expire: () => void;
  setGroup: (groupId: string) => void;
}

const groupStorageKey = (userId: string) => `kasal.group.${userId}`;

function readStoredGroup(user: User): string {
  try {
    return localStorage.getItem(groupStorageKey(user.id)) ?? user.personal_group_id;
  } catch {
    return user.personal_group_id;
  }
}

export const useSession = create<SessionState>((set, get) => ({
  status: 'loading',
  user: null,
  groupId: null,

  async restore() {
    const ok = await api.refresh();
    if (!ok) {
      set({ status: 'signedOut', user: null });
      return;
    }
    try {
      const user = await usersApi.me();
      const groupId = readStoredGroup(user);
      api.groupId = groupId;
      set({ status: 'signedIn', user, groupId });
    } catch {
      set({ status: 'signedOut', user: null });
    }
  },

  async signIn(username, password) {
    await api.login(username, password);
    const user = await usersApi.me();
    const groupId = readStoredGroup(user);
    api.groupId = groupId;
    queryClient.clear();
    set({ status: 'signedIn', user, groupId });
  },

  async signOut() {
    try {
      await api.logout();
    } catch {
      // Signing out locally matters more than the server's answer.
    }
    api.groupId = null;
    queryClient.clear();
    set({ status: 'signedOut', user: null, groupId: null });
  },

  expire() {
    if (get().status === 'signedOut') return;
    api.setTokens(null);
    queryClient.clear();
    set({ status: 'signedOut', user: null });
  },

  setGroup(groupId) {
    const { user, groupId: current } = get();
    if (groupId === current) return;
    api.groupId = groupId;
    if (user) {
      try {
        localStorage.setItem(groupStorageKey(user.id), groupId);
      } catch {
        // Private mode: the choice lasts for this page only.
      }
    }
    // Everything cached belongs to the previous group.
    queryClient.removeQueries({ predicate: (q) => q.queryKey[0] !== 'groups' });
    set({ groupId });
  },
}));

api.onAuthFailure = () => useSession.getState().expire();

/** Undo/redo as a pair of snapshot stacks. Pure; the editor store holds one. */
export interface History<T> {
  past: T[];
  present: T;
  future: T[];
}

export const HISTORY_LIMIT = 100;

export function initHistory<T>(present: T): History<T> {
  return { past: [], present, future: [] };
}

/** Record a new present. A no-op change (same reference) leaves history alone. */
export function commit<T>(h: History<T>, next: T, limit = HISTORY_LIMIT): History<T> {
  if (next === h.present) return h;
  const past = [...h.past, h.present];
  if (past.length > limit) past.splice(0, past.length - limit);
  return { past, present: next, future: [] };
}

/** Replace the present without an undo step (used while a drag is in progress). */
export function replacePresent<T>(h: History<T>, next: T): History<T> {
  return next === h.present ? h : { ...h, present: next };
}

/** Close a transient change started at `base`: one undo step back to `base`. */
export function commitFrom<T>(h: History<T>, base: T, limit = HISTORY_LIMIT): History<T> {
  if (base === h.present) return h;
  const past = [...h.past, base];
  if (past.length > limit) past.splice(0, past.length - limit);
  return { past, present: h.present, future: [] };
}

export function undo<T>(h: History<T>): History<T> {
  if (h.past.length === 0) return h;
  const previous = h.past[h.past.length - 1];
  return { past: h.past.slice(0, -1), present: previous, future: [h.present, ...h.future] };
}

export function redo<T>(h: History<T>): History<T> {
  if (h.future.length === 0) return h;
  const [next, ...future] = h.future;
  return { past: [...h.past, h.present], present: next, future };
}

export const canUndo = <T,>(h: History<T>) => h.past.length > 0;
export const canRedo = <T,>(h: History<T>) => h.future.length > 0;

/** What an editor store holds for its undo history: the history, and where a drag began. */
export interface Undoable<T> {
  history: History<T>;
  dragBase: T | null;
}

export interface HistoryActions<T> {
  apply: (change: (doc: T) => T) => void;
  /** A change while a drag is in progress: no undo step until `endTransient`. */
  applyTransient: (change: (doc: T) => T) => void;
  beginTransient: () => void;
  endTransient: () => void;
  undo: () => void;
  redo: () => void;
}

/** The undo actions of an editor store (a zustand `create` callback's `set` and `get`). */
export function historyActions<T>(
  set: (partial: Partial<Undoable<T>>) => void,
  get: () => Undoable<T>,
): HistoryActions<T> {
  return {
    apply(change) {
      const { history } = get();
      const next = change(history.present);
      if (next !== history.present) set({ history: commit(history, next) });
    },
    applyTransient(change) {
      const { history } = get();
      set({ history: replacePresent(history, change(history.present)) });
    },
    beginTransient() {
      if (!get().dragBase) set({ dragBase: get().history.present });
    },
    endTransient() {
      const { dragBase, history } = get();
      if (dragBase) set({ history: commitFrom(history, dragBase), dragBase: null });
    },
    undo() {
      set({ history: undo(get().history), dragBase: null });
    },
    redo() {
      set({ history: redo(get().history), dragBase: null });
    },
  };
}

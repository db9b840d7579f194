/** State of the open crew editor: the document with its undo history, selection and save status. */
import { create } from 'zustand';
import type { Agent, CrewDocument, Position, Problem, Task } from '../api/types';
import { commit, commitFrom, type History, type HistoryActions, historyActions, initHistory, replacePresent } from './history';
import { autoLayout } from './layout';
import { normalizeAgent, normalizeTask, toEditable, type EditableCrew } from './model';
import { keyProblems, type KeyedProblem } from './problems';

export interface Selection {
  nodes: string[];
  edges: string[];
}

export interface EditorState extends HistoryActions<EditableCrew> {
  crewId: string | null;
  baseVersion: number;
  history: History<EditableCrew>;
  /** JSON of the document as last loaded or saved: the reference for "unsaved changes". */
  savedJson: string;
  serverProblems: KeyedProblem[];
  /** The inputs the server derived for the saved document. */
  serverInputs: string[] | null;
  selection: Selection;
  measured: Record<string, { width: number; height: number }>;
  dragBase: EditableCrew | null;
  /** The document as a generation found it: a whole generation is one undo step back to it. */
  generationBase: EditableCrew | null;

  load: (doc: CrewDocument) => void;
  /** Saved (or restored) on the server: new base version, maybe a normalised document. */
  markSaved: (doc: CrewDocument) => void;
  setServerProblems: (problems: Problem[]) => void;
  beginGeneration: () => void;
  /** An agent or task a generation streamed: shown at once (at its old place if it had one). */
  showGenerated: (node: { agent: Agent } | { task: Task }, position: Position) => void;
  /** The model's first answer was refused: its nodes go, the repaired answer streams anew. */
  restartGeneration: () => void;
  /** The generation saved `doc` as a new version: one undo step from where it started. */
  finishGeneration: (doc: CrewDocument) => void;
  abandonGeneration: () => void;
  select: (selection: Selection) => void;
  setMeasured: (key: string, size: { width: number; height: number }) => void;
}

export const serialize = (doc: EditableCrew) => JSON.stringify({ ...doc, layout: { nodes: doc.layout.nodes } });

const empty: EditableCrew = toEditable({
  name: '',
  description: '',
  process: 'sequential',
  manager_llm: null,
  planning: false,
  memory: 'off',
  embedder: null,
  max_rpm: null,
  verbose: false,
  agents: [],
  tasks: [],
  layout: { nodes: {} },
});

/** Imported crews may have no layout: place the nodes that lack a position. */
function withPositions(doc: EditableCrew): EditableCrew {
  const keys = [...doc.agents.map((a) => a.key), ...doc.tasks.map((t) => t.key)];
  if (keys.every((k) => doc.layout.nodes[k])) return doc;
  const auto = autoLayout(doc);
  const nodes = { ...doc.layout.nodes };
  for (const k of keys) nodes[k] ??= auto[k];
  return { ...doc, layout: { ...doc.layout, nodes } };
}

export const useEditor = create<EditorState>((set, get) => ({
  ...historyActions<EditableCrew>(set, get),
  crewId: null,
  baseVersion: 0,
  history: initHistory(empty),
  savedJson: serialize(empty),
  serverProblems: [],
  serverInputs: null,
  selection: { nodes: [], edges: [] },
  measured: {},
  dragBase: null,
  generationBase: null,

  load(doc) {
    const editable = withPositions(toEditable(doc));
    set({
      crewId: doc.id ?? null,
      baseVersion: doc.version ?? 0,
      history: initHistory(editable),
      savedJson: serialize(editable),
      serverProblems: keyProblems(editable, doc.problems),
      serverInputs: doc.inputs ?? null,
      selection: { nodes: [], edges: [] },
      measured: get().crewId === doc.id ? get().measured : {},
      dragBase: null,
    });
  },

  markSaved(doc) {
    const editable = toEditable(doc);
    const { history } = get();
    // Keep the undo stack; the saved document becomes the present (the server may normalise it).
    const sameContent = serialize(editable) === serialize(history.present);
    set({
      baseVersion: doc.version ?? get().baseVersion,
      history: sameContent ? history : commit(history, editable),
      savedJson: serialize(editable),
      serverProblems: keyProblems(editable, doc.problems),
      serverInputs: doc.inputs ?? null,
    });
  },

  setServerProblems(problems) {
    set({ serverProblems: keyProblems(get().history.present, problems) });
  },

  beginGeneration() {
    set({ generationBase: get().history.present, selection: { nodes: [], edges: [] } });
  },

  showGenerated(node, position) {
    const { history } = get();
    const doc = history.present;
    const upsert = <T extends { key: string }>(items: T[], item: T) =>
      items.some((x) => x.key === item.key) ? items.map((x) => (x.key === item.key ? item : x)) : [...items, item];
    const key = 'agent' in node ? node.agent.key : node.task.key;
    const next: EditableCrew = {
      ...doc,
      agents: 'agent' in node ? upsert(doc.agents, normalizeAgent(node.agent)) : doc.agents,
      tasks: 'task' in node ? upsert(doc.tasks, normalizeTask(node.task)) : doc.tasks,
      layout: { ...doc.layout, nodes: { ...doc.layout.nodes, [key]: doc.layout.nodes[key] ?? position } },
    };
    set({ history: replacePresent(history, next) });
  },

  restartGeneration() {
    const { generationBase, history } = get();
    if (generationBase) set({ history: replacePresent(history, generationBase) });
  },

  finishGeneration(doc) {
    const { generationBase, history } = get();
    const editable = withPositions(toEditable(doc));
    const shown = replacePresent(history, editable);
    set({
      baseVersion: doc.version ?? get().baseVersion,
      history: generationBase ? commitFrom(shown, generationBase) : commit(history, editable),
      generationBase: null,
      savedJson: serialize(editable),
      serverProblems: keyProblems(editable, doc.problems),
      serverInputs: doc.inputs ?? null,
    });
  },

  abandonGeneration() {
    get().restartGeneration();
    set({ generationBase: null });
  },

  select(selection) {
    const current = get().selection;
    const same =
      current.nodes.length === selection.nodes.length &&
      current.edges.length === selection.edges.length &&
      current.nodes.every((n, i) => n === selection.nodes[i]) &&
      current.edges.every((e, i) => e === selection.edges[i]);
    if (!same) set({ selection });
  },

  setMeasured(key, size) {
    const prev = get().measured[key];
    if (prev && prev.width === size.width && prev.height === size.height) return;
    set({ measured: { ...get().measured, [key]: size } });
  },
}));

export const selectDoc = (s: EditorState) => s.history.present;
let memo: { present: EditableCrew | null; saved: string; dirty: boolean } = { present: null, saved: '', dirty: false };
export const selectDirty = (s: EditorState) => {
  if (memo.present !== s.history.present || memo.saved !== s.savedJson) {
    memo = { present: s.history.present, saved: s.savedJson, dirty: serialize(s.history.present) !== s.savedJson };
  }
  return memo.dirty;
};

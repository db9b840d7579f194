/** State of the open flow editor: the document with its undo history, selection and save status. */
import { create } from 'zustand';
import type { FlowRead } from '../api/flows';
import type { Problem } from '../api/types';
import { commit, type History, type HistoryActions, historyActions, initHistory } from '../canvas/history';
import type { KeyedProblem } from '../canvas/problems';
import type { Selection } from '../canvas/store';
import { emptyFlow, keyFlowProblems, moveSteps, nextPosition, toEditable, type EditableFlow } from './model';

export interface FlowEditorState extends HistoryActions<EditableFlow> {
  flowId: string | null;
  baseVersion: number;
  history: History<EditableFlow>;
  /** JSON of the document as last loaded or saved: the reference for "unsaved changes". */
  savedJson: string;
  serverProblems: KeyedProblem[];
  selection: Selection;
  dragBase: EditableFlow | null;

  load: (doc: FlowRead) => void;
  markSaved: (doc: FlowRead) => void;
  setServerProblems: (problems: Problem[]) => void;
  select: (selection: Selection) => void;
}

/** Layout positions are part of the document, the viewport is not: panning is no change. */
export const serializeFlow = (doc: EditableFlow) => JSON.stringify({ ...doc, layout: { nodes: doc.layout.nodes } });

/** Imported flows may have no layout: stack the steps that lack a position. */
function withPositions(doc: EditableFlow): EditableFlow {
  let next = doc;
  for (const s of doc.steps) if (!next.layout.nodes[s.key]) next = moveSteps(next, { [s.key]: nextPosition(next) });
  return next;
}

const empty = emptyFlow();

export const useFlowEditor = create<FlowEditorState>((set, get) => ({
  ...historyActions<EditableFlow>(set, get),
  flowId: null,
  baseVersion: 0,
  history: initHistory(empty),
  savedJson: serializeFlow(empty),
  serverProblems: [],
  selection: { nodes: [], edges: [] },
  dragBase: null,

  load(doc) {
    const editable = withPositions(toEditable(doc));
    set({
      flowId: doc.id,
      baseVersion: doc.version,
      history: initHistory(editable),
      savedJson: serializeFlow(editable),
      serverProblems: keyFlowProblems(editable, doc.problems),
      selection: { nodes: [], edges: [] },
      dragBase: null,
    });
  },

  markSaved(doc) {
    const editable = withPositions(toEditable(doc));
    const { history } = get();
    const same = serializeFlow(editable) === serializeFlow(history.present);
    set({
      baseVersion: doc.version,
      history: same ? history : commit(history, editable),
      savedJson: serializeFlow(editable),
      serverProblems: keyFlowProblems(editable, doc.problems),
    });
  },

  setServerProblems(problems) {
    set({ serverProblems: keyFlowProblems(get().history.present, problems) });
  },

  select(selection) {
    const current = get().selection;
    const same =
      current.nodes.join('\n') === selection.nodes.join('\n') && current.edges.join('\n') === selection.edges.join('\n');
    if (!same) set({ selection });
  },
}));

export const selectFlow = (s: FlowEditorState) => s.history.present;
let memo: { present: EditableFlow | null; saved: string; dirty: boolean } = { present: null, saved: '', dirty: false };
export const selectFlowDirty = (s: FlowEditorState) => {
  if (memo.present !== s.history.present || memo.saved !== s.savedJson) {
    memo = { present: s.history.present, saved: s.savedJson, dirty: serializeFlow(s.history.present) !== s.savedJson };
  }
  return memo.dirty;
};

import { beforeEach, describe, expect, it } from 'vitest';
import { toFlowEdges, toFlowNodes } from './flow';
import { canRedo, canUndo, commit, initHistory, redo, undo } from './history';
import { autoLayout } from './layout';
import {
  addAgent,
  addTask,
  checkConnection,
  connect,
  deriveEdges,
  deriveInputs,
  disconnect,
  removeNodes,
  renameKey,
  toEditable,
  toSavePayload,
  uniqueKey,
  updateAgent,
} from './model';
import { keyProblems, localProblems, mergeProblems, problemsByKey, resolvePointer } from './problems';
import { selectDirty, selectDoc, useEditor } from './store';
import { sampleDoc } from './testDoc';

const doc = () => toEditable(sampleDoc());

describe('document → nodes and edges', () => {
  it('makes one node per agent and task, keyed by key, with saved positions', () => {
    const nodes = toFlowNodes(doc());
    expect(nodes.map((n) => [n.id, n.type])).toEqual([
      ['researcher', 'agent'],
      ['research', 'task'],
      ['write', 'task'],
    ]);
    expect(nodes[1].position).toEqual({ x: 300, y: 0 });
    expect(nodes[2].position).toEqual({ x: 340, y: 180 }); // no saved position: a default slot
  });

  it('derives assignment and context edges from tasks', () => {
    const edges = toFlowEdges(doc());
    expect(edges.map((e) => [e.id, e.data?.kind])).toEqual([
      ['researcher->research', 'assignment'],
      ['research->write', 'context'],
    ]);
  });

  it('carries problems, run states and selection into node data', () => {
    const d = doc();
    const problems = problemsByKey(keyProblems(d, sampleDoc().problems));
    const nodes = toFlowNodes(d, { problems, runStates: { research: 'running' }, selection: { nodes: ['write'], edges: [] } });
    const write = nodes.find((n) => n.id === 'write')!;
    expect(write.data.problems.map((p) => p.code)).toEqual(['task_without_agent']);
    expect(write.selected).toBe(true);
    expect(nodes.find((n) => n.id === 'research')!.data.runState).toBe('running');
  });

  it('labels models: demo as offline, warns on missing keys and disabled models', () => {
    const models = [
      { key: 'demo', provider: 'demo', model: 'demo', label: 'Demo', enabled: true, has_key: false },
      { key: 'gpt', provider: 'openai', model: 'gpt-4o', label: 'GPT-4o', enabled: true, has_key: false },
    ] as never[];
    let d = doc();
    expect(toFlowNodes(d, { models })[0].data).toMatchObject({ modelLabel: 'Demo (offline)', modelWarning: null });
    d = updateAgent(d, 'researcher', { llm: 'gpt' });
    expect(toFlowNodes(d, { models })[0].data).toMatchObject({ modelLabel: 'GPT-4o', modelWarning: 'no API key' });
  });
});

describe('edits', () => {
  it('generates keys like agent-3 in one key space', () => {
    let d = doc();
    expect(uniqueKey(d, 'agent')).toBe('agent-1');
    const a = addAgent(d);
    d = a.doc;
    expect(a.key).toBe('agent-1');
    const t = addTask(d);
    expect(t.key).toBe('task-1');
    expect(uniqueKey(t.doc, 'agent')).toBe('agent-2');
    expect(t.doc.layout.nodes['task-1']).toBeDefined();
  });

  it('agent → task assigns the task, replacing the previous agent', () => {
    let d = addAgent(doc(), { role: 'Writer' }).doc;
    d = connect(d, 'agent-1', 'write');
    expect(d.tasks[1].agent).toBe('agent-1');
    d = connect(d, 'researcher', 'write');
    expect(d.tasks[1].agent).toBe('researcher');
  });

  it('task → task adds to context, refusing cycles, self-loops and edges into agents', () => {
    const d = doc();
    expect(checkConnection(d, 'write', 'research')).toEqual({ ok: false, reason: 'That would make a cycle' });
    expect(checkConnection(d, 'research', 'research').ok).toBe(false);
    expect(checkConnection(d, 'research', 'researcher').ok).toBe(false);
    expect(checkConnection(d, 'research', 'write')).toEqual({ ok: false, reason: 'Already connected' });
    expect(connect(d, 'write', 'research')).toBe(d);
    const t = addTask(d).doc;
    const linked = connect(t, 'write', 'task-1');
    expect(linked.tasks[2].context).toEqual(['write']);
  });

  it('removing an edge clears the assignment or the context entry', () => {
    let d = doc();
    d = disconnect(d, 'researcher', 'research');
    expect(d.tasks[0].agent).toBeNull();
    d = disconnect(d, 'research', 'write');
    expect(d.tasks[1].context).toEqual([]);
    expect(deriveEdges(d)).toEqual([]);
  });

  it('removing nodes removes references and positions', () => {
    const d = removeNodes(doc(), ['researcher', 'research']);
    expect(d.agents).toEqual([]);
    expect(d.tasks.map((t) => t.key)).toEqual(['write']);
    expect(d.tasks[0].context).toEqual([]);
    expect(d.layout.nodes).toEqual({});
  });

  it('renaming a key updates references', () => {
    const d = renameKey(doc(), 'research', 'dig');
    expect(d.tasks[0].key).toBe('dig');
    expect(d.tasks[1].context).toEqual(['dig']);
    expect(d.layout.nodes.dig).toEqual({ x: 300, y: 0 });
    const r = updateAgent(d, 'researcher', { key: 'scout' });
    expect(r.tasks[0].agent).toBe('scout');
  });

  it('derives inputs from placeholders', () => {
    expect(deriveInputs(doc())).toEqual(['topic', 'audience']);
  });

  it('derives inputs as CrewAI reads placeholders: dashes, and double braces too', () => {
    const d = doc();
    d.tasks[0].description = 'Use {format-x}, {{double}} and {"a": 1}';
    expect(deriveInputs(d)).toEqual(['topic', 'format-x', 'double', 'audience']);
  });

  it('derives inputs from output files too, as the engine fills them in', () => {
    const d = doc();
    d.tasks[1].output_file = '{region}/report.md';
    expect(deriveInputs(d)).toEqual(['topic', 'audience', 'region']);
  });

  it('round-trips: document → editable → payload keeps the content and the base version', () => {
    const original = sampleDoc();
    const payload = toSavePayload(toEditable(original), 3);
    expect(payload.version).toBe(3);
    expect(payload.agents).toEqual(original.agents);
    expect(payload.tasks).toEqual(original.tasks);
    expect(payload.edges).toEqual([
      { id: 'researcher->research', source: 'researcher', target: 'research', kind: 'assignment' },
      { id: 'research->write', source: 'research', target: 'write', kind: 'context' },
    ]);
    expect(payload).not.toHaveProperty('problems');
  });
});

describe('layout', () => {
  it('puts each node right of what it depends on', () => {
    const pos = autoLayout(doc());
    expect(pos.researcher.x).toBeLessThan(pos.research.x);
    expect(pos.research.x).toBeLessThan(pos.write.x);
  });
  it('spreads nodes of one column vertically', () => {
    const d = addTask(addTask(toEditable({ ...sampleDoc(), agents: [], tasks: [] })).doc).doc;
    const pos = autoLayout(d);
    expect(pos['task-1'].x).toBe(pos['task-2'].x);
    expect(pos['task-1'].y).not.toBe(pos['task-2'].y);
  });
});

describe('problems', () => {
  it('maps JSON pointers to nodes', () => {
    const d = doc();
    expect(resolvePointer(d, '/tasks/1/agent')).toEqual({ key: 'write', field: 'agent' });
    expect(resolvePointer(d, '/agents/0/llm')).toEqual({ key: 'researcher', field: 'llm' });
    expect(resolvePointer(d, '/tasks/research/description')).toEqual({ key: 'research', field: 'description' });
    expect(resolvePointer(d, '/manager_llm')).toEqual({ key: null, field: 'manager_llm' });
    expect(resolvePointer(d, '/tasks/9/agent')).toEqual({ key: null, field: 'tasks' });
  });

  it('keeps a problem on its node when other nodes are removed', () => {
    const d = doc();
    const keyed = keyProblems(d, sampleDoc().problems);
    removeNodes(d, ['research']);
    expect(keyed[0].key).toBe('write');
  });

  it('checks locally: missing agent, empty fields, hierarchical without manager', () => {
    let d = doc();
    d = updateAgent(d, 'researcher', { goal: ' ' });
    d = { ...d, process: 'hierarchical' };
    const codes = localProblems(d).map((p) => `${p.key}:${p.code}`);
    expect(codes).toContain('researcher:empty_field');
    expect(codes).toContain('null:manager_llm_missing');
    expect(localProblems(doc()).map((p) => `${p.key}:${p.code}`)).toEqual(['write:task_without_agent']);
  });

  it('uses the server\'s codes, so its problems about an empty crew go once nodes are added', () => {
    const empty = { ...doc(), agents: [], tasks: [] };
    const server = keyProblems(empty, [
      { pointer: '/agents', code: 'no_agents', message: 'The crew has no agents: add at least one.', severity: 'error' },
      { pointer: '/tasks', code: 'no_tasks', message: 'The crew has no tasks: add at least one.', severity: 'error' },
    ]);
    expect(mergeProblems(server, localProblems(empty), false).map((p) => p.code)).toEqual(['no_agents', 'no_tasks']);
    const filled = connect(doc(), 'researcher', 'write');
    expect(mergeProblems(server, localProblems(filled), true)).toEqual([]);
    const unused = addAgent(filled, { role: 'Editor', goal: 'Edit' }).doc;
    expect(localProblems(unused).map((p) => `${p.key}:${p.code}:${p.severity}`)).toEqual(['agent-1:unused_agent:warning']);
  });

  it('lets local checks replace stale server problems once edited', () => {
    const d = connect(doc(), 'researcher', 'write');
    const server = keyProblems(d, [
      { pointer: '/tasks/1/agent', code: 'task_without_agent', message: 'x', severity: 'error' },
      { pointer: '/agents/0/tools/0', code: 'tool_not_found', message: 'y', severity: 'error' },
    ]);
    const merged = mergeProblems(server, localProblems(d), true);
    expect(merged.map((p) => p.code)).toEqual(['tool_not_found']);
    expect(mergeProblems(server, localProblems(d), false).map((p) => p.code)).toEqual(['task_without_agent', 'tool_not_found']);
  });
});

describe('undo/redo history', () => {
  it('undoes and redoes snapshots; a new change clears the redo stack', () => {
    let h = initHistory(1);
    h = commit(h, 2);
    h = commit(h, 3);
    h = undo(h);
    expect(h.present).toBe(2);
    expect(canRedo(h)).toBe(true);
    h = redo(h);
    expect(h.present).toBe(3);
    h = undo(undo(h));
    expect(h.present).toBe(1);
    expect(canUndo(h)).toBe(false);
    expect(undo(h)).toBe(h);
    h = commit(h, 5);
    expect(canRedo(h)).toBe(false);
  });

  it('caps its length', () => {
    let h = initHistory(0);
    for (let i = 1; i <= 10; i += 1) h = commit(h, i, 5);
    expect(h.past).toEqual([5, 6, 7, 8, 9]);
  });
});

describe('editor store', () => {
  beforeEach(() => useEditor.getState().load(sampleDoc()));

  it('tracks unsaved changes against the loaded document', () => {
    expect(selectDirty(useEditor.getState())).toBe(false);
    useEditor.getState().apply((d) => addAgent(d).doc);
    expect(selectDirty(useEditor.getState())).toBe(true);
    useEditor.getState().undo();
    expect(selectDirty(useEditor.getState())).toBe(false);
    useEditor.getState().redo();
    expect(selectDoc(useEditor.getState()).agents).toHaveLength(2);
  });

  it('records a whole drag as one undo step', () => {
    const s = useEditor.getState();
    s.beginTransient();
    for (let x = 1; x <= 5; x += 1) useEditor.getState().applyTransient((d) => ({ ...d, layout: { ...d.layout, nodes: { ...d.layout.nodes, researcher: { x, y: 0 } } } }));
    useEditor.getState().endTransient();
    expect(selectDoc(useEditor.getState()).layout.nodes.researcher).toEqual({ x: 5, y: 0 });
    expect(useEditor.getState().history.past).toHaveLength(1);
    useEditor.getState().undo();
    expect(selectDoc(useEditor.getState()).layout.nodes.researcher).toEqual({ x: 0, y: 0 });
  });

  it('takes the saved version as the new base, keeping undo', () => {
    useEditor.getState().apply((d) => addTask(d).doc);
    const saved = { ...sampleDoc(), ...toSavePayload(selectDoc(useEditor.getState()), 4), problems: [] };
    useEditor.getState().markSaved(saved);
    const s = useEditor.getState();
    expect(s.baseVersion).toBe(4);
    expect(selectDirty(s)).toBe(false);
    expect(s.history.past.length).toBeGreaterThan(0);
    expect(s.serverProblems).toEqual([]);
  });

  it('ignores viewport-only changes for "unsaved"', () => {
    useEditor.getState().applyTransient((d) => ({ ...d, layout: { ...d.layout, viewport: { x: 5, y: 5, zoom: 2 } } }));
    expect(selectDirty(useEditor.getState())).toBe(false);
  });
});

describe('unknown fields', () => {
  it('keeps fields of a newer server and sends them back', () => {
    const original = { ...sampleDoc(), knowledge_config: { provider: 'x' } } as ReturnType<typeof sampleDoc> & { knowledge_config: unknown };
    original.agents[0] = { ...original.agents[0], temperature: 0.2 } as (typeof original.agents)[0];
    const payload = toSavePayload(toEditable(original), 3) as unknown as Record<string, unknown>;
    expect(payload.knowledge_config).toEqual({ provider: 'x' });
    expect((payload.agents as Record<string, unknown>[])[0].temperature).toBe(0.2);
  });
  it('adds library items with known fields only', () => {
    const { doc: d } = addAgent(toEditable(sampleDoc()), { role: 'Lib', created_at: 'x' } as never);
    expect(d.agents[1]).not.toHaveProperty('created_at');
  });
});

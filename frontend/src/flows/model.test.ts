import { describe, expect, it } from 'vitest';
import {
  addStep,
  connect,
  edgeId,
  edgeLabel,
  emptyFlow,
  keyFlowProblems,
  localFlowProblems,
  parseValue,
  removeSteps,
  renameStep,
  runInputs,
  toEditable,
  updateEdge,
  type EditableFlow,
} from './model';

/** research → route → (review | rewrite), built through the editor's own functions. */
function triage(): EditableFlow {
  let doc = emptyFlow('Triage');
  for (const kind of ['crew', 'router', 'approval', 'crew'] as const) doc = addStep(doc, kind).doc;
  doc = connect(doc, 'crew_1', 'router_1');
  doc = connect(doc, 'router_1', 'crew_2');
  doc = connect(doc, 'router_1', 'approval_1');
  return doc;
}

describe('flow model', () => {
  it('gives each new step a free key and a place under the others', () => {
    const doc = triage();
    expect(doc.steps.map((s) => s.key)).toEqual(['crew_1', 'router_1', 'approval_1', 'crew_2']);
    expect(doc.layout.nodes.router_1.y).toBeGreaterThan(doc.layout.nodes.crew_1.y);
    expect(doc.steps[2].approval?.answers).toEqual(['approve', 'reject', 'reply']);
  });

  it("makes a router's first edge its default and an approval's edges approve, then reject", () => {
    let doc = triage();
    expect(doc.edges.find((e) => e.target === 'crew_2')?.default).toBe(true);
    expect(doc.edges.find((e) => e.target === 'approval_1')?.default).toBe(false);
    doc = connect(doc, 'approval_1', 'crew_2');
    doc = addStep(doc, 'crew').doc;
    doc = connect(doc, 'approval_1', 'crew_3');
    expect(doc.edges.filter((e) => e.source === 'approval_1').map((e) => e.on)).toEqual(['approve', 'reject']);
    // No loops onto itself, no second edge between the same two steps.
    expect(connect(doc, 'crew_1', 'crew_1')).toBe(doc);
    expect(connect(doc, 'crew_1', 'router_1')).toBe(doc);
  });

  it('keeps a condition and a default apart on one edge', () => {
    let doc = triage();
    const id = edgeId({ source: 'router_1', target: 'approval_1' });
    doc = updateEdge(doc, id, { when: { path: 'steps.crew_1.json.score', op: 'ge', value: 7 } });
    const edge = doc.edges.find((e) => edgeId(e) === id)!;
    expect(edge.default).toBe(false);
    expect(edgeLabel(edge)).toBe('steps.crew_1.json.score ge 7');
    doc = updateEdge(doc, id, { default: true });
    expect(doc.edges.find((e) => edgeId(e) === id)?.when).toBeNull();
  });

  it('renames a step with its edges and its place, and deletes a step with its edges', () => {
    let doc = renameStep(triage(), 'crew_1', 'research');
    expect(doc.edges[0]).toMatchObject({ source: 'research', target: 'router_1' });
    expect(doc.layout.nodes.research).toBeDefined();
    expect(doc.layout.nodes.crew_1).toBeUndefined();
    expect(renameStep(doc, 'research', 'router_1')).toBe(doc); // taken
    doc = removeSteps(doc, ['router_1']);
    expect(doc.edges).toEqual([]);
  });

  it('reads condition values as numbers and booleans where they are', () => {
    expect(parseValue('7')).toBe(7);
    expect(parseValue('-1.5')).toBe(-1.5);
    expect(parseValue('true')).toBe(true);
    expect(parseValue('yes')).toBe('yes');
    expect(parseValue('  ')).toBeNull();
  });

  it("puts the server's problems on the step or edge their pointer names", () => {
    const doc = triage();
    const found = keyFlowProblems(doc, [
      { pointer: '/steps/1', code: 'router_without_default', message: 'x', severity: 'error' },
      { pointer: '/edges/2/when/path', code: 'unknown_step', message: 'y', severity: 'error' },
      { pointer: '/inputs/0', code: 'bad', message: 'z', severity: 'warning' },
    ]);
    expect(found.map((p) => p.key)).toEqual(['router_1', 'router_1->approval_1', null]);
    expect(found[1].field).toBe('when');
  });

  it('checks what it can while editing: a crew to pick, a default out of each router', () => {
    let doc = triage();
    expect(localFlowProblems(doc).map((p) => `${p.key}:${p.code}`)).toEqual(['crew_1:missing_crew', 'crew_2:missing_crew']);
    doc = updateEdge(doc, 'router_1->crew_2', { when: { path: 'inputs.topic', op: 'exists', value: null } });
    expect(localFlowProblems(doc).map((p) => p.code)).toContain('router_without_default');
    expect(localFlowProblems(emptyFlow('x')).map((p) => p.code)).toEqual(['no_steps']);
  });

  it('normalises a server document and lists its inputs for the run dialog', () => {
    const doc = toEditable({
      name: 'F',
      inputs: [{ name: 'topic', default: 'tides' }, { name: 'audience', default: '' }],
      steps: [{ key: 'a', kind: 'crew', name: 'A', crew_id: 'c1' }],
      edges: [{ source: 'a', target: 'b' }],
    });
    expect(doc.steps[0]).toEqual({ key: 'a', kind: 'crew', name: 'A', crew_id: 'c1', crew_version: null, inputs: {} });
    expect(doc.edges[0]).toEqual({ source: 'a', target: 'b', when: null, default: false, on: null });
    expect(runInputs(doc)).toEqual({ names: ['topic', 'audience'], defaults: { topic: 'tides' } });
  });
});

import { describe, expect, it } from 'vitest';
import type { Agent, CrewDocument } from '../api/types';
import { selectDirty, selectDoc, useEditor } from '../canvas/store';
import { sampleDoc } from '../canvas/testDoc';
import { parseEvents } from './stream';

const reviewer: Agent = {
  ...sampleDoc().agents[0],
  key: 'reviewer',
  role: 'Reviewer',
  goal: 'Check the sources',
  tools: [],
};

describe('parseEvents', () => {
  it('keeps an incomplete block for the next read', () => {
    const text = 'event: started\ndata: {"type":"started","model":"demo"}\n\nevent: agent\ndata: {"type":"ag';
    const { events, rest } = parseEvents(text);
    expect(events).toEqual([{ type: 'started', model: 'demo' }]);
    expect(rest).toBe('event: agent\ndata: {"type":"ag');
    expect(parseEvents(`${rest}ent"}\r\n\r\n`).events).toEqual([{ type: 'agent' }]);
  });
});

describe('a generation on the canvas', () => {
  it('shows streamed nodes at once and is one undo step once saved', () => {
    const store = useEditor.getState();
    store.load(sampleDoc());
    const before = selectDoc(useEditor.getState());

    store.beginGeneration();
    store.showGenerated({ agent: reviewer }, { x: 900, y: 40 });
    store.showGenerated({ agent: { ...before.agents[0], role: 'Lead researcher' } }, { x: 1, y: 1 });
    const streaming = selectDoc(useEditor.getState());
    expect(streaming.agents.map((a) => [a.key, a.role])).toEqual([
      ['researcher', 'Lead researcher'],
      ['reviewer', 'Reviewer'],
    ]);
    expect(streaming.layout.nodes.researcher).toEqual(before.layout.nodes.researcher); // keeps its place
    expect(streaming.layout.nodes.reviewer).toEqual({ x: 900, y: 40 });
    expect(useEditor.getState().history.past).toHaveLength(0); // nothing to undo mid-stream

    const saved: CrewDocument = { ...sampleDoc(), version: 4, agents: streaming.agents, layout: streaming.layout };
    store.finishGeneration(saved);
    const after = useEditor.getState();
    expect(after.baseVersion).toBe(4);
    expect(selectDirty(after)).toBe(false);
    expect(after.history.past).toHaveLength(1);

    after.undo();
    expect(selectDoc(useEditor.getState())).toBe(before);
    expect(selectDirty(useEditor.getState())).toBe(true); // the saved version 4 still has the reviewer
  });

  it('drops the streamed nodes when the answer is repaired or fails', () => {
    const store = useEditor.getState();
    store.load(sampleDoc());
    const before = selectDoc(useEditor.getState());
    store.beginGeneration();
    store.showGenerated({ agent: reviewer }, { x: 0, y: 0 });
    store.restartGeneration();
    expect(selectDoc(useEditor.getState())).toBe(before);
    store.showGenerated({ agent: reviewer }, { x: 0, y: 0 });
    store.abandonGeneration();
    expect(selectDoc(useEditor.getState())).toBe(before);
    expect(useEditor.getState().generationBase).toBeNull();
    expect(useEditor.getState().history.past).toHaveLength(0);
  });
});

import { describe, expect, it } from 'vitest';
import { addAgent, addTask, NODE_SIZE, placeInView, toEditable, visibleRect, type EditableCrew, type Rect } from './model';
import { sampleDoc } from './testDoc';

const within = (p: { x: number; y: number }, view: Rect) =>
  p.x >= view.x && p.y >= view.y && p.x + NODE_SIZE.width <= view.x + view.width && p.y + NODE_SIZE.height <= view.y + view.height;

/** A crew long enough that "below the lowest node" is far off-screen. */
function tallCrew(): EditableCrew {
  let doc = toEditable(sampleDoc());
  for (let i = 0; i < 12; i += 1) doc = addTask(doc).doc;
  return doc;
}

describe('new nodes land in view', () => {
  const view: Rect = { x: 0, y: 0, width: 1000, height: 700 };

  it('puts a palette node in the visible part of a long crew, not below its last node', () => {
    const doc = tallCrew();
    const lowest = Math.max(...Object.values(doc.layout.nodes).map((p) => p.y));
    expect(lowest).toBeGreaterThan(view.height);

    const position = placeInView(doc, view);
    expect(within(position, view)).toBe(true);
    const { doc: added, key } = addAgent(doc, {}, position);
    expect(added.layout.nodes[key]).toEqual(position);
  });

  it('follows the view when the user has scrolled and zoomed', () => {
    const scrolled = visibleRect(1000, 700, [-2000, -1500, 0.5]);
    expect(scrolled).toEqual({ x: 4000, y: 3000, width: 2000, height: 1400 });
    expect(within(placeInView(tallCrew(), scrolled!), scrolled!)).toBe(true);
    expect(visibleRect(0, 0, [0, 0, 1])).toBeNull(); // not measured yet: no view to place in
  });

  it('does not cover a node already in the middle of the view', () => {
    const first = placeInView(toEditable(sampleDoc()), view);
    const doc = addAgent(toEditable(sampleDoc()), {}, first).doc;
    const second = placeInView(doc, view);
    expect(within(second, view)).toBe(true);
    const overlaps =
      Math.abs(second.x - first.x) < NODE_SIZE.width && Math.abs(second.y - first.y) < NODE_SIZE.height;
    expect(overlaps).toBe(false);
  });

  it('puts a dropped node where the pointer is, pulled in from the edge of the view', () => {
    const doc = toEditable(sampleDoc());
    expect(placeInView(doc, view, { x: 500, y: 300 })).toEqual({ x: 500, y: 300 });
    const atEdge = placeInView(doc, view, { x: 995, y: 695 });
    expect(within(atEdge, view)).toBe(true);
  });
});

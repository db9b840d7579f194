/**
 * A small layered layout: every node goes one column right of the nodes it depends on
 * (agent → task, task → task through context); within a column, nodes are ordered by the average
 * row of their predecessors to limit crossings. Enough for crews of a few dozen nodes.
 */
import type { Position } from '../api/types';
import { deriveEdges, type EditableCrew } from './model';

export const COLUMN_WIDTH = 340;
export const ROW_HEIGHT = 170;

export function autoLayout(doc: EditableCrew): Record<string, Position> {
  const keys = [...doc.agents.map((a) => a.key), ...doc.tasks.map((t) => t.key)];
  const preds = new Map<string, string[]>(keys.map((k) => [k, []]));
  for (const e of deriveEdges(doc)) preds.get(e.target)?.push(e.source);

  const rank = new Map<string, number>();
  const visiting = new Set<string>();
  const rankOf = (key: string): number => {
    const known = rank.get(key);
    if (known !== undefined) return known;
    if (visiting.has(key)) return 0; // a cycle (invalid crew): break it
    visiting.add(key);
    const ps = preds.get(key) ?? [];
    const r = ps.length ? Math.max(...ps.map(rankOf)) + 1 : 0;
    visiting.delete(key);
    rank.set(key, r);
    return r;
  };
  keys.forEach(rankOf);

  // An agent with no predecessors sits just left of its first task rather than in column 0.
  for (const a of doc.agents) {
    const tasks = doc.tasks.filter((t) => t.agent === a.key).map((t) => rank.get(t.key) ?? 1);
    if (tasks.length) rank.set(a.key, Math.max(0, Math.min(...tasks) - 1));
  }

  const columns = new Map<number, string[]>();
  for (const k of keys) {
    const r = rank.get(k) ?? 0;
    columns.set(r, [...(columns.get(r) ?? []), k]);
  }
  const row = new Map<string, number>();
  const order = [...columns.keys()].sort((a, b) => a - b);
  for (const r of order) {
    const col = columns.get(r)!;
    const score = (k: string) => {
      const ps = (preds.get(k) ?? []).map((p) => row.get(p)).filter((v): v is number => v !== undefined);
      return ps.length ? ps.reduce((s, v) => s + v, 0) / ps.length : keys.indexOf(k);
    };
    const sorted = [...col].sort((a, b) => score(a) - score(b) || keys.indexOf(a) - keys.indexOf(b));
    sorted.forEach((k, i) => row.set(k, i));
  }

  const positions: Record<string, Position> = {};
  for (const k of keys) positions[k] = { x: (rank.get(k) ?? 0) * COLUMN_WIDTH, y: (row.get(k) ?? 0) * ROW_HEIGHT };
  return positions;
}

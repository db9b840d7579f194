/** Trace spans → timeline rows (depth-first, children under parents). Pure. */
import type { Span } from '../api/types';

export interface TimelineRow {
  span: Span;
  depth: number;
  /** Offset from the trace start and length, in ms. */
  offset: number;
  length: number;
}

export interface Timeline {
  rows: TimelineRow[];
  totalMs: number;
}

export function buildTimeline(spans: Span[], now = Date.now()): Timeline {
  if (spans.length === 0) return { rows: [], totalMs: 0 };
  const start = (s: Span) => Date.parse(s.start);
  const end = (s: Span) => (s.end ? Date.parse(s.end) : s.duration_ms !== null ? start(s) + s.duration_ms : now);
  const t0 = Math.min(...spans.map(start));
  const t1 = Math.max(...spans.map(end));
  const ids = new Set(spans.map((s) => s.id));
  const children = new Map<string | null, Span[]>();
  for (const s of spans) {
    const parent = s.parent_id && ids.has(s.parent_id) ? s.parent_id : null;
    children.set(parent, [...(children.get(parent) ?? []), s]);
  }
  for (const list of children.values()) list.sort((a, b) => start(a) - start(b));
  const rows: TimelineRow[] = [];
  const visit = (parent: string | null, depth: number) => {
    for (const s of children.get(parent) ?? []) {
      rows.push({ span: s, depth, offset: start(s) - t0, length: Math.max(0, end(s) - start(s)) });
      visit(s.id, depth + 1);
    }
  };
  visit(null, 0);
  return { rows, totalMs: Math.max(1, t1 - t0) };
}

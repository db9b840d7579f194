/**
 * Problems (from the server's validation or checked here) attached to the node they concern.
 * A JSON pointer such as `/tasks/1/agent` is resolved to the node key once, when received, so the
 * problem stays on the right node even if the user reorders or deletes others before saving.
 */
import type { ApiError } from '../api/client';
import type { Model, Problem, Tool, ToolRef } from '../api/types';
import { API_KEYS_PATH, providerLabel } from '../common/providers';
import { CONNECTIONS_PATH } from '../common/settingsPaths';
import { KEY_PATTERN, KEY_RULE, type EditableCrew } from './model';
import { missingKeys } from './toolCatalog';

export interface KeyedProblem extends Problem {
  /** The agent or task key, or null for a crew-level problem. */
  key: string | null;
  /** The field inside the node (`agent`, `role`, ...), if the pointer names one. */
  field: string | null;
}

function unescape(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

export function resolvePointer(doc: EditableCrew, pointer: string): { key: string | null; field: string | null } {
  const parts = pointer.split('/').slice(1).map(unescape);
  const [collection, ref, ...rest] = parts;
  if ((collection === 'agents' || collection === 'tasks') && ref !== undefined) {
    const list = collection === 'agents' ? doc.agents : doc.tasks;
    const item = /^\d+$/.test(ref) ? list[Number(ref)] : list.find((x) => x.key === ref);
    if (item) return { key: item.key, field: rest[0] ?? null };
  }
  return { key: null, field: parts[0] ?? null };
}

export function keyProblems(doc: EditableCrew, problems: Problem[] | undefined): KeyedProblem[] {
  return (problems ?? []).map((p) => ({ ...p, ...resolvePointer(doc, p.pointer) }));
}

/**
 * Codes this module checks itself, named as the server names them (crews/validation.py): while
 * editing, its answer replaces the server's (stale) one for these codes.
 */
export const LOCAL_CODES = new Set([
  'no_agents',
  'no_tasks',
  'empty_field',
  'task_without_agent',
  'unused_agent',
  'context_later_task',
  'manager_llm_missing',
  'unknown_model',
  'model_disabled',
  'duplicate_key',
  'invalid_key',
  'missing_tool_key',
]);

/** Where the user fixes a problem of this code, for the codes that have such a place. */
const API_KEYS_LINK = { label: 'Settings › API keys', to: API_KEYS_PATH };
const PROBLEM_LINKS: Record<string, { label: string; to: string }> = {
  missing_api_key: API_KEYS_LINK,
  missing_tool_key: API_KEYS_LINK,
  unknown_connection: { label: 'Settings › Connections', to: CONNECTIONS_PATH },
};

export function problemLink(code: string): { label: string; to: string } | null {
  return PROBLEM_LINKS[code] ?? null;
}

/** `missing_tool_key` for each tool use whose API key the group lacks (see `missingKeys`). */
function toolKeyProblems(key: string, pointer: string, refs: ToolRef[], toolById: Map<string, Tool>): KeyedProblem[] {
  return refs.flatMap((ref, j) => {
    const tool = toolById.get(ref.tool_id);
    const missing = tool ? missingKeys(tool, ref.config) : [];
    if (!tool || missing.length === 0) return [];
    const names = missing.map(providerLabel).join(' or ');
    const message = `${tool.name} needs a ${names} API key, which this group has not added`;
    return [{ key, field: 'tools', pointer: `${pointer}/tools/${j}`, code: 'missing_tool_key', message, severity: 'error' as const }];
  });
}

export function localProblems(doc: EditableCrew, models?: Model[], tools?: Tool[]): KeyedProblem[] {
  const out: KeyedProblem[] = [];
  const add = (key: string | null, field: string | null, pointer: string, code: string, message: string, severity: Problem['severity'] = 'error') =>
    out.push({ key, field, pointer, code, message, severity });
  const seen = new Set<string>();
  const modelByKey = new Map((models ?? []).map((m) => [m.key, m]));
  const toolById = new Map((tools ?? []).map((t) => [t.id, t]));
  const checkModel = (key: string | null, ptr: string, llm: string | null) => {
    if (!llm || !models) return;
    const m = modelByKey.get(llm);
    if (!m) add(key, 'llm', ptr, 'unknown_model', `Unknown model "${llm}"`);
    else if (!m.enabled) add(key, 'llm', ptr, 'model_disabled', `Model "${m.label}" is disabled`);
  };
  const sequential = doc.process === 'sequential';

  if (doc.agents.length === 0) add(null, 'agents', '/agents', 'no_agents', 'The crew has no agents: add at least one.');
  if (doc.tasks.length === 0) add(null, 'tasks', '/tasks', 'no_tasks', 'The crew has no tasks: add at least one.');

  const assigned = new Set(doc.tasks.map((t) => t.agent));
  doc.agents.forEach((a, i) => {
    const p = `/agents/${i}`;
    if (seen.has(a.key)) add(a.key, 'key', `${p}/key`, 'duplicate_key', `Key "${a.key}" is used twice`);
    seen.add(a.key);
    if (!KEY_PATTERN.test(a.key)) add(a.key, 'key', `${p}/key`, 'invalid_key', KEY_RULE);
    if (!a.role.trim()) add(a.key, 'role', `${p}/role`, 'empty_field', 'The agent needs a role');
    if (!a.goal.trim()) add(a.key, 'goal', `${p}/goal`, 'empty_field', 'The agent needs a goal');
    checkModel(a.key, `${p}/llm`, a.llm);
    out.push(...toolKeyProblems(a.key, p, a.tools, toolById));
    if (sequential && !assigned.has(a.key)) add(a.key, null, p, 'unused_agent', 'No task is assigned to this agent', 'warning');
  });

  const taskIndex = new Map(doc.tasks.map((t, i) => [t.key, i]));
  doc.tasks.forEach((t, i) => {
    const p = `/tasks/${i}`;
    if (seen.has(t.key)) add(t.key, 'key', `${p}/key`, 'duplicate_key', `Key "${t.key}" is used twice`);
    seen.add(t.key);
    if (!KEY_PATTERN.test(t.key)) add(t.key, 'key', `${p}/key`, 'invalid_key', KEY_RULE);
    if (!t.description.trim()) add(t.key, 'description', `${p}/description`, 'empty_field', 'The task needs a description');
    if (!t.expected_output.trim()) add(t.key, 'expected_output', `${p}/expected_output`, 'empty_field', 'The task needs an expected output');
    if (!t.agent) {
      if (sequential) add(t.key, 'agent', `${p}/agent`, 'task_without_agent', 'Connect an agent to this task (sequential crews need one per task)');
      else add(t.key, 'agent', `${p}/agent`, 'task_without_agent', 'No agent: the manager will choose one', 'warning');
    }
    out.push(...toolKeyProblems(t.key, p, t.tools, toolById));
    t.context.forEach((c, j) => {
      const ci = taskIndex.get(c);
      if (ci !== undefined && ci > i) add(t.key, 'context', `${p}/context/${j}`, 'context_later_task', `Uses the output of "${c}", which runs later`);
    });
  });

  if (doc.process === 'hierarchical' && !doc.manager_llm)
    add(null, 'manager_llm', '/manager_llm', 'manager_llm_missing', 'A hierarchical crew needs a manager model');
  checkModel(null, '/manager_llm', doc.manager_llm);
  return out;
}

/**
 * What the canvas shows. When the document matches what the server validated, its list is
 * authoritative (plus local checks it may not make); once edited, local checks replace the
 * server's for the codes they cover (`localCodes`: the crew editor's unless a flow's are given).
 */
export function mergeProblems(server: KeyedProblem[], local: KeyedProblem[], dirty: boolean, localCodes: ReadonlySet<string> = LOCAL_CODES): KeyedProblem[] {
  const kept = dirty ? server.filter((p) => !localCodes.has(p.code)) : server;
  const seen = new Set(kept.map((p) => `${p.key}|${p.code}|${p.field}`));
  return [...kept, ...local.filter((p) => !seen.has(`${p.key}|${p.code}|${p.field}`))];
}

export function problemsByKey(problems: KeyedProblem[]): Map<string | null, KeyedProblem[]> {
  const map = new Map<string | null, KeyedProblem[]>();
  for (const p of problems) map.set(p.key, [...(map.get(p.key) ?? []), p]);
  return map;
}

/** 422 details (`loc` paths) as problems on the nodes they concern. */
export function detailsToProblems(e: ApiError): Problem[] {
  return e.details.map((d) => {
    if (typeof d.pointer === 'string') return d as unknown as Problem;
    const loc = (d.loc ?? []).filter((x) => x !== 'body');
    return { pointer: `/${loc.join('/')}`, code: d.type ?? 'invalid', message: d.message, severity: 'error' };
  });
}

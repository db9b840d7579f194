/**
 * The tool catalog as the picker and the checks use it: categories in a stable order, search,
 * references to tools of configured sources (`mcp:<server>[/<tool>]`, `openapi:<name>[/<op>]`,
 * the grammar of the server's `engine/tools/refs.py`) and the API keys a tool use lacks.
 */
import type { Tool } from '../api/types';
import { categoryValues } from '../api/schema';
import { fields } from './schema';

const CATEGORY_LABEL: Record<string, string> = { mcp: 'MCP', openapi: 'OpenAPI' };

/** "web" → "Web"; a category this build does not know yet still gets a heading. */
export function categoryLabel(category: string): string {
  return CATEGORY_LABEL[category] ?? category.charAt(0).toUpperCase() + category.slice(1);
}

function categoryRank(category: string): number {
  const i = (categoryValues as readonly string[]).indexOf(category);
  return i === -1 ? categoryValues.length : i;
}

/** Tools grouped by category (the server's order, unknown ones last), by name inside each. */
export function sortTools(tools: readonly Tool[]): Tool[] {
  return sortByCategory(tools, (t) => t.category, (t) => t.name);
}

/** Items in the catalog's category order; inside a category by `name`, or as given without one. */
export function sortByCategory<T>(items: readonly T[], category: (item: T) => string, name?: (item: T) => string): T[] {
  return [...items].sort(
    (a, b) =>
      categoryRank(category(a)) - categoryRank(category(b)) ||
      category(a).localeCompare(category(b)) ||
      (name ? name(a).localeCompare(name(b)) : 0),
  );
}

/** Whether every word of `query` is somewhere in `texts` (case ignored): the picker's search. */
export function matchesWords(query: string, ...texts: string[]): boolean {
  const haystack = texts.join(' ').toLowerCase();
  return query
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((word) => haystack.includes(word));
}

/** Whether every word of `query` is in the tool's name, id or description. */
export function matchesQuery(tool: Tool, query: string): boolean {
  return matchesWords(query, tool.name, tool.id, tool.description);
}

const SOURCE_KINDS = { mcp: 'MCP server', openapi: 'OpenAPI document' } as const;
export type SourceKind = keyof typeof SOURCE_KINDS;

export interface SourceRef {
  kind: SourceKind;
  source: string;
  /** null: every tool of the source. */
  tool: string | null;
}

const REFERENCE = /^(mcp|openapi):([^/\s]+)(?:\/([^/\s]+))?$/;

/** The source a tool id names, or null for a built-in tool id (or text that is no reference). */
export function parseSourceRef(toolId: string): SourceRef | null {
  const m = REFERENCE.exec(toolId.trim());
  return m ? { kind: m[1] as SourceKind, source: m[2], tool: m[3] ?? null } : null;
}

/** "All tools of the MCP server github", "Tool create_issue of the MCP server github". */
export function describeSourceRef(ref: SourceRef): string {
  const source = `the ${SOURCE_KINDS[ref.kind]} ${ref.source}`;
  return ref.tool ? `Tool ${ref.tool} of ${source}` : `All tools of ${source}`;
}

/**
 * The API-key providers a use of `tool` needs and the group has not configured.
 *
 * A tool lists every provider a use may need; which one a use needs is its configuration's
 * business. When a config field offers the providers as choices (web_search's `provider`), the
 * chosen one (or the default) decides: a choice that is no key provider (a self-hosted
 * SearXNG) needs no key. Otherwise a tool whose keys are all missing cannot run.
 */
export function missingKeys(tool: Tool, config: Record<string, unknown>): string[] {
  if (tool.credentials.length === 0) return [];
  const providers = new Set(tool.credentials.map((c) => c.provider));
  const chooser = fields(tool.config_schema).find(([, prop]) => prop.enum?.some((o) => providers.has(String(o))));
  if (chooser) {
    const [name, prop] = chooser;
    const chosen = String(config[name] ?? prop.default ?? '');
    const credential = tool.credentials.find((c) => c.provider === chosen);
    return credential && !credential.configured ? [chosen] : [];
  }
  return tool.credentials.every((c) => !c.configured) ? tool.credentials.map((c) => c.provider) : [];
}

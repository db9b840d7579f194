/**
 * The tools of the group's configured sources as the picker offers them: each OpenAPI document
 * (all its operations, or one) under Integrations, each MCP server (all its tools, or one of
 * those its last test found) under MCP. Their references are what a tool list names.
 */
import { useQueries } from '@tanstack/react-query';
import { mcpServersApi, openApiSourcesApi } from '../api/endpoints';
import { keys, useMcpServers, useOpenApiSources } from '../api/hooks';
import type { McpServer, McpTool, OpenApiSource, OpenApiTool } from '../api/types';
import { plural } from '../common/format';
import { matchesWords, type SourceKind } from './toolCatalog';

export interface SourceTool {
  /** `openapi:<name>[/<op>]` or `mcp:<server>[/<tool>]`. */
  reference: string;
  kind: SourceKind;
  /** The catalog category it is listed under. */
  category: 'integrations' | 'mcp';
  label: string;
  /** What it does: method and path, summary, description. */
  detail: string;
  /** A disabled source's tools cannot be used. */
  enabled: boolean;
}

export function openApiSourceTools(source: OpenApiSource, operations: readonly OpenApiTool[]): SourceTool[] {
  const base = { kind: 'openapi' as const, category: 'integrations' as const, enabled: source.enabled };
  const whole: SourceTool = {
    ...base,
    reference: `openapi:${source.name}`,
    label: `${source.name}: all ${plural(source.operation_count, 'operation')}`,
    detail: [source.title, source.description].filter(Boolean).join(' · '),
  };
  return [
    whole,
    ...operations.map((op) => ({
      ...base,
      reference: op.tool_id,
      label: op.name,
      detail: [`${op.method.toUpperCase()} ${op.path}`, op.summary || op.description].filter(Boolean).join(' · '),
    })),
  ];
}

export function mcpServerTools(server: McpServer, tools: readonly McpTool[]): SourceTool[] {
  const base = { kind: 'mcp' as const, category: 'mcp' as const, enabled: server.enabled };
  const found = server.tool_count === null ? 'not tested yet' : plural(server.tool_count, 'tool');
  const whole: SourceTool = {
    ...base,
    reference: `mcp:${server.name}`,
    label: `${server.name}: all tools (${found})`,
    detail: `${server.transport} · ${server.url ?? server.command ?? ''}`,
  };
  return [whole, ...tools.map((t) => ({ ...base, reference: `mcp:${server.name}/${t.name}`, label: t.name, detail: t.description }))];
}

/** Whether every word of `query` is in the source tool's reference, label or detail. */
export function matchesSourceTool(tool: SourceTool, query: string): boolean {
  return matchesWords(query, tool.reference, tool.label, tool.detail);
}

/** Every source tool of the group: the sources, then each one's operations or discovered tools. */
export function useSourceTools(): SourceTool[] {
  const documents = useOpenApiSources().data ?? [];
  const servers = useMcpServers().data ?? [];
  const operations = useQueries({
    queries: documents.map((s) => ({ queryKey: keys.openApiTools(s.id), queryFn: () => openApiSourcesApi.tools(s.id), staleTime: 60_000 })),
  });
  const discovered = useQueries({
    queries: servers.map((s) => ({ queryKey: keys.mcpTools(s.id), queryFn: () => mcpServersApi.tools(s.id), staleTime: 60_000 })),
  });
  return [
    ...documents.flatMap((s, i) => openApiSourceTools(s, operations[i]?.data ?? [])),
    ...servers.flatMap((s, i) => mcpServerTools(s, discovered[i]?.data?.tools ?? [])),
  ];
}

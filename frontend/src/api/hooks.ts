import { useQuery } from '@tanstack/react-query';
import { useSession } from '../auth/session';
import { connectionsApi, groupsApi, knowledgeApi, libraryApi, mcpServersApi, modelsApi, openApiSourcesApi, toolsApi, tracingApi } from './endpoints';
import type { Group, Role } from './types';

export const keys = {
  groups: ['groups'] as const,
  members: (groupId: string) => ['groups', groupId, 'members'] as const,
  crews: ['crews'] as const,
  crew: (id: string) => ['crew', id] as const,
  versions: (id: string) => ['crew', id, 'versions'] as const,
  models: ['models'] as const,
  tools: ['tools'] as const,
  templates: ['templates'] as const,
  apiKeys: ['api-keys'] as const,
  connections: ['connections'] as const,
  openApiSources: ['openapi-sources'] as const,
  /** Under `openApiSources`: a change of the sources refreshes their operations too. */
  openApiTools: (id: string) => ['openapi-sources', id, 'tools'] as const,
  mcpServers: ['mcp-servers'] as const,
  mcpTools: (id: string) => ['mcp-servers', id, 'tools'] as const,
  tracing: ['tracing'] as const,
  knowledge: ['knowledge'] as const,
  /** Under `knowledge`: a change of the bases refreshes their files too. */
  knowledgeFiles: (id: string) => ['knowledge', id, 'files'] as const,
  tokens: ['tokens'] as const,
  users: ['users'] as const,
  libraryAgents: ['library', 'agents'] as const,
  libraryTasks: ['library', 'tasks'] as const,
  schedules: (crewId: string) => ['schedules', crewId] as const,
  fires: (scheduleId: string) => ['schedule-fires', scheduleId] as const,
  triggers: (crewId: string) => ['triggers', crewId] as const,
  webhooks: ['webhooks'] as const,
  deliveries: (webhookId: string) => ['webhooks', webhookId, 'deliveries'] as const,
  executions: ['executions'] as const,
  chats: ['chats'] as const,
  chatMessages: (id: string) => ['chats', id, 'messages'] as const,
  execution: (id: string) => ['execution', id] as const,
  flows: ['flows'] as const,
  flow: (id: string) => ['flow', id] as const,
  flowVersions: (id: string) => ['flow', id, 'versions'] as const,
  /** Everything about approvals (the inbox's pages and the badge's count) under one prefix. */
  approvals: ['approvals'] as const,
  approvalCount: ['approvals', 'count'] as const,
  approval: (id: string) => ['approvals', 'one', id] as const,
  trace: (id: string) => ['execution', id, 'trace'] as const,
  files: (id: string) => ['execution', id, 'files'] as const,
};

export function useGroups() {
  const signedIn = useSession((s) => s.status === 'signedIn');
  return useQuery({ queryKey: keys.groups, queryFn: groupsApi.list, enabled: signedIn, staleTime: 60_000 });
}

export function useActiveGroup(): Group | undefined {
  const groupId = useSession((s) => s.groupId);
  const { data } = useGroups();
  return data?.find((g) => g.id === groupId);
}

export interface Permissions {
  role: Role | undefined;
  canEdit: boolean;
  canRun: boolean;
  isGroupAdmin: boolean;
}

export function permissionsFor(role: Role | undefined): Permissions {
  return {
    role,
    canEdit: role === 'admin' || role === 'editor',
    canRun: role === 'admin' || role === 'editor' || role === 'operator',
    isGroupAdmin: role === 'admin',
  };
}

export function usePermissions(): Permissions {
  const group = useActiveGroup();
  const personal = useSession((s) => s.user !== null && s.groupId === s.user.personal_group_id);
  // A personal group is always the user's own; until groups load, assume admin there.
  const role = group?.role ?? (personal ? 'admin' : undefined);
  return permissionsFor(role);
}

export function useModels() {
  return useQuery({ queryKey: keys.models, queryFn: modelsApi.list, staleTime: 60_000 });
}

export function useTools() {
  return useQuery({ queryKey: keys.tools, queryFn: toolsApi.list, staleTime: 60_000 });
}

export function useLibraryAgents(enabled = true) {
  return useQuery({ queryKey: keys.libraryAgents, queryFn: libraryApi.agents, enabled });
}

export function useLibraryTasks(enabled = true) {
  return useQuery({ queryKey: keys.libraryTasks, queryFn: libraryApi.tasks, enabled });
}

export function useConnections(enabled = true) {
  return useQuery({ queryKey: keys.connections, queryFn: connectionsApi.list, enabled, staleTime: 60_000 });
}

export function useOpenApiSources() {
  return useQuery({ queryKey: keys.openApiSources, queryFn: openApiSourcesApi.list, staleTime: 60_000 });
}

export function useOpenApiTools(sourceId: string, enabled = true) {
  return useQuery({ queryKey: keys.openApiTools(sourceId), queryFn: () => openApiSourcesApi.tools(sourceId), enabled, staleTime: 60_000 });
}

export function useMcpServers() {
  return useQuery({ queryKey: keys.mcpServers, queryFn: mcpServersApi.list, staleTime: 60_000 });
}

export function useTracing() {
  return useQuery({ queryKey: keys.tracing, queryFn: tracingApi.get, staleTime: 10_000 });
}

export function useMcpTools(serverId: string, enabled = true) {
  return useQuery({ queryKey: keys.mcpTools(serverId), queryFn: () => mcpServersApi.tools(serverId), enabled, staleTime: 60_000 });
}

export function useKnowledgeBases() {
  return useQuery({ queryKey: keys.knowledge, queryFn: knowledgeApi.list, staleTime: 30_000 });
}

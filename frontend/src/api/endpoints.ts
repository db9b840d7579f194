/** One function per REST call. Components use these through TanStack Query hooks. */
import { api } from './client';
import type {
  ApiKey,
  Chat,
  ChatCreate,
  ChatMessage,
  ChatTurn,
  ChatUpdate,
  Connection,
  ConnectionCheck,
  ConnectionCreate,
  ConnectionUpdate,
  CrewDocument,
  CrewSummary,
  CrewVersion,
  EventsPage,
  Execution,
  ExecutionStatus,
  Group,
  KnowledgeBase,
  KnowledgeBaseCreate,
  KnowledgeBaseUpdate,
  KnowledgeFile,
  KnowledgeHit,
  LibraryAgent,
  LibraryTask,
  McpServer,
  MemoryList,
  SharedMemoryScope,
  McpServerCreate,
  McpServerTools,
  McpServerUpdate,
  Member,
  Model,
  OpenApiSource,
  OpenApiSourceCreate,
  OpenApiSourceUpdate,
  OpenApiTool,
  Page,
  PersonalAccessToken,
  PromptTemplate,
  Role,
  RunFiles,
  Schedule,
  ScheduleCreate,
  ScheduleFire,
  ScheduleUpdate,
  Tool,
  Trigger,
  TriggerCreated,
  Trace,
  Tracing,
  TracingUpdate,
  User,
  ValidationResult,
  Webhook,
  WebhookCreate,
  WebhookCreated,
  WebhookDelivery,
  WebhookUpdate,
} from './types';

export const PAGE_SIZE = 50;

/** Fetch every page of a list (small collections: groups, models, tools, library). */
export async function fetchAll<T>(path: string, query: Record<string, string | undefined> = {}): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 50; i += 1) {
    const page: Page<T> = await api.get<Page<T>>(path, { ...query, limit: 200, cursor: cursor ?? undefined });
    items.push(...page.items);
    cursor = page.next_cursor;
    if (!cursor) break;
  }
  return items;
}

export const usersApi = {
  me: () => api.get<User>('/users/me'),
  list: () => fetchAll<User>('/users'),
  create: (body: { email: string; password: string; name: string }) => api.post<User>('/users', body),
  update: (id: string, body: Partial<Pick<User, 'is_active' | 'is_admin' | 'name'>>) =>
    api.patch<User>(`/users/${id}`, body),
};

export const tokensApi = {
  list: () => fetchAll<PersonalAccessToken>('/auth/tokens'),
  create: (body: { name: string; expires_at?: string | null }) => api.post<PersonalAccessToken>('/auth/tokens', body),
  revoke: (id: string) => api.delete(`/auth/tokens/${id}`),
};

export const groupsApi = {
  list: () => fetchAll<Group>('/groups'),
  create: (name: string) => api.post<Group>('/groups', { name }),
  update: (id: string, name: string) => api.patch<Group>(`/groups/${id}`, { name }),
  remove: (id: string) => api.delete(`/groups/${id}`),
  members: (id: string) => fetchAll<Member>(`/groups/${id}/members`),
  addMember: (id: string, email: string, role: Role) => api.post<Member>(`/groups/${id}/members`, { email, role }),
  setRole: (id: string, userId: string, role: Role) => api.patch<Member>(`/groups/${id}/members/${userId}`, { role }),
  removeMember: (id: string, userId: string) => api.delete(`/groups/${id}/members/${userId}`),
};

export const crewsApi = {
  list: (params: { q?: string; sort?: string; cursor?: string | null; limit?: number }) =>
    api.get<Page<CrewSummary>>('/crews', {
      q: params.q,
      sort: params.sort,
      cursor: params.cursor ?? undefined,
      limit: params.limit ?? PAGE_SIZE,
    }),
  get: (id: string) => api.get<CrewDocument>(`/crews/${id}`),
  create: (doc: CrewDocument) => api.post<CrewDocument>('/crews', doc),
  save: (id: string, doc: CrewDocument) => api.put<CrewDocument>(`/crews/${id}`, doc),
  patch: (id: string, body: Partial<CrewDocument> & { version: number }) => api.patch<CrewDocument>(`/crews/${id}`, body),
  remove: (id: string) => api.delete(`/crews/${id}`),
  duplicate: (id: string) => api.post<CrewDocument>(`/crews/${id}/duplicate`),
  versions: (id: string) => fetchAll<CrewVersion>(`/crews/${id}/versions`),
  version: (id: string, n: number) => api.get<CrewDocument>(`/crews/${id}/versions/${n}`),
  restore: (id: string, n: number) => api.post<CrewDocument>(`/crews/${id}/versions/${n}/restore`),
  /** Validate a document (the working copy, saved or not) in the context of this crew. */
  validate: (id: string, doc: CrewDocument) => api.post<ValidationResult>(`/crews/${id}/validate`, doc),
  exportFile: (id: string, format: 'yaml' | 'json') => api.download(`/crews/${id}/export`, { format }),
  importFile: (file: File) => {
    const form = new FormData();
    form.append('file', file, file.name);
    return api.upload<CrewDocument>('/crews/import', form);
  },
};

export const libraryApi = {
  agents: () => fetchAll<LibraryAgent>('/agents'),
  tasks: () => fetchAll<LibraryTask>('/tasks'),
  saveAgent: (body: Omit<LibraryAgent, 'id'>) => api.post<LibraryAgent>('/agents', body),
  saveTask: (body: Omit<LibraryTask, 'id'>) => api.post<LibraryTask>('/tasks', body),
};

export const modelsApi = {
  list: () => fetchAll<Model>('/models'),
  create: (body: Partial<Model> & Pick<Model, 'key' | 'provider' | 'model' | 'label'>) => api.post<Model>('/models', body),
  update: (key: string, body: Partial<Model>) => api.patch<Model>(`/models/${encodeURIComponent(key)}`, body),
};

export const apiKeysApi = {
  list: () => fetchAll<ApiKey>('/api-keys'),
  create: (body: { name: string; provider: string; value: string }) => api.post<ApiKey>('/api-keys', body),
  update: (id: string, body: { value?: string; name?: string }) => api.patch<ApiKey>(`/api-keys/${id}`, body),
  remove: (id: string) => api.delete(`/api-keys/${id}`),
};

export const toolsApi = {
  list: () => fetchAll<Tool>('/tools'),
  setEnabled: (id: string, enabled: boolean) => api.patch<Tool>(`/tools/${encodeURIComponent(id)}`, { enabled }),
};

export const templatesApi = {
  list: () => fetchAll<PromptTemplate>('/templates'),
  save: (key: string, content: string) => api.put<PromptTemplate>(`/templates/${encodeURIComponent(key)}`, { content }),
  reset: (key: string) => api.post<PromptTemplate>(`/templates/${encodeURIComponent(key)}/reset`),
};

export const connectionsApi = {
  list: () => fetchAll<Connection>('/connections'),
  create: (body: ConnectionCreate) => api.post<Connection>('/connections', body),
  update: (id: string, body: ConnectionUpdate) => api.patch<Connection>(`/connections/${id}`, body),
  remove: (id: string) => api.delete(`/connections/${id}`),
  test: (id: string) => api.post<ConnectionCheck>(`/connections/${id}/test`),
};

export const openApiSourcesApi = {
  list: () => fetchAll<OpenApiSource>('/openapi-sources'),
  create: (body: OpenApiSourceCreate) => api.post<OpenApiSource>('/openapi-sources', body),
  update: (id: string, body: OpenApiSourceUpdate) => api.patch<OpenApiSource>(`/openapi-sources/${id}`, body),
  remove: (id: string) => api.delete(`/openapi-sources/${id}`),
  /** Every operation of the document: one page holds them all. */
  tools: (id: string) => api.get<Page<OpenApiTool>>(`/openapi-sources/${id}/tools`).then((p) => p.items),
};

export const memoryApi = {
  list: (crewId: string, scope: SharedMemoryScope, q: string | null, signal?: AbortSignal) =>
    api.get<MemoryList>('/memory', { crew_id: crewId, scope, q: q || undefined, limit: 100 }, signal),
  remove: (id: string, crewId: string, scope: SharedMemoryScope) =>
    api.delete(`/memory/${encodeURIComponent(id)}?${new URLSearchParams({ crew_id: crewId, scope })}`),
  reset: (crewId: string, scope: SharedMemoryScope) => api.post<{ deleted: number }>('/memory/reset', { scope, crew_id: crewId }),
};

export const mcpServersApi = {
  list: () => fetchAll<McpServer>('/mcp-servers'),
  create: (body: McpServerCreate) => api.post<McpServer>('/mcp-servers', body),
  update: (id: string, body: McpServerUpdate) => api.patch<McpServer>(`/mcp-servers/${id}`, body),
  remove: (id: string) => api.delete(`/mcp-servers/${id}`),
  /** Connect now and keep what the server offers. */
  test: (id: string) => api.post<McpServerTools>(`/mcp-servers/${id}/test`),
  /** What the last test found. */
  tools: (id: string) => api.get<McpServerTools>(`/mcp-servers/${id}/tools`),
};

export const tracingApi = {
  get: () => api.get<Tracing>('/tracing'),
  update: (body: TracingUpdate) => api.put<Tracing>('/tracing', body),
};

export const knowledgeApi = {
  list: () => fetchAll<KnowledgeBase>('/knowledge'),
  create: (body: KnowledgeBaseCreate) => api.post<KnowledgeBase>('/knowledge', body),
  update: (id: string, body: KnowledgeBaseUpdate) => api.patch<KnowledgeBase>(`/knowledge/${id}`, body),
  remove: (id: string) => api.delete(`/knowledge/${id}`),
  files: (id: string) => fetchAll<KnowledgeFile>(`/knowledge/${id}/files`),
  /** One file per request, so each has its own progress and its own error. */
  upload: (id: string, file: File, onProgress: (sent: number) => void) => {
    const form = new FormData();
    form.append('file', file, file.name);
    return api.uploadWithProgress<KnowledgeFile>(`/knowledge/${id}/files`, form, onProgress);
  },
  removeFile: (id: string, fileId: string) => api.delete(`/knowledge/${id}/files/${fileId}`),
  search: (id: string, query: string, k: number) =>
    api.post<{ hits: KnowledgeHit[] }>(`/knowledge/${id}/search`, { query, k }).then((r) => r.hits),
};

export const schedulesApi = {
  list: (crewId: string) => fetchAll<Schedule>('/schedules', { crew_id: crewId }),
  create: (body: ScheduleCreate) => api.post<Schedule>('/schedules', body),
  update: (id: string, body: ScheduleUpdate) => api.patch<Schedule>(`/schedules/${id}`, body),
  remove: (id: string) => api.delete(`/schedules/${id}`),
  /** The latest fires, newest first. */
  fires: (id: string) => api.get<Page<ScheduleFire>>(`/schedules/${id}/fires`, { limit: 20 }).then((p) => p.items),
};

export const triggersApi = {
  list: (crewId: string) => fetchAll<Trigger>('/triggers', { crew_id: crewId }),
  create: (body: { crew_id: string; name: string }) => api.post<TriggerCreated>('/triggers', body),
  revoke: (id: string) => api.post<Trigger>(`/triggers/${id}/revoke`),
  remove: (id: string) => api.delete(`/triggers/${id}`),
};

export const webhooksApi = {
  list: () => fetchAll<Webhook>('/webhooks'),
  create: (body: WebhookCreate) => api.post<WebhookCreated>('/webhooks', body),
  update: (id: string, body: WebhookUpdate) => api.patch<Webhook>(`/webhooks/${id}`, body),
  remove: (id: string) => api.delete(`/webhooks/${id}`),
  /** The latest deliveries, newest first. */
  deliveries: (id: string) => api.get<Page<WebhookDelivery>>(`/webhooks/${id}/deliveries`, { limit: 50 }).then((p) => p.items),
};

export const executionsApi = {
  start: (crewId: string, inputs: Record<string, string>, version?: number) =>
    api.post<Execution>('/executions', { crew_id: crewId, inputs, ...(version ? { version } : {}) }),
  list: (params: { crew_id?: string; status?: ExecutionStatus | ''; cursor?: string | null }) =>
    api.get<Page<Execution>>('/executions', {
      crew_id: params.crew_id,
      status: params.status || undefined,
      cursor: params.cursor ?? undefined,
      limit: PAGE_SIZE,
    }),
  get: (id: string) => api.get<Execution>(`/executions/${id}`),
  cancel: (id: string) => api.post<Execution>(`/executions/${id}/cancel`),
  remove: (id: string) => api.delete(`/executions/${id}`),
  events: (id: string, after: number, wait: number, signal?: AbortSignal) =>
    api.get<EventsPage>(`/executions/${id}/events`, { after, wait }, signal),
  trace: (id: string) => api.get<Trace>(`/executions/${id}/trace`),
  files: (id: string) => api.get<RunFiles>(`/executions/${id}/files`),
  /** `path` as the listing gives it: each of its parts is encoded, its slashes are kept. */
  downloadFile: (id: string, path: string) =>
    api.download(`/executions/${id}/files/${path.split('/').map(encodeURIComponent).join('/')}`),
};

export const chatsApi = {
  list: () => fetchAll<Chat>('/chats'),
  get: (id: string) => api.get<Chat>(`/chats/${id}`),
  create: (body: ChatCreate) => api.post<Chat>('/chats', body),
  update: (id: string, body: ChatUpdate) => api.patch<Chat>(`/chats/${id}`, body),
  remove: (id: string) => api.delete(`/chats/${id}`),
  messages: (id: string) => fetchAll<ChatMessage>(`/chats/${id}/messages`),
  /** Answers at once: follow `assistant.execution_id` for the streamed answer. */
  say: (id: string, content: string) => api.post<ChatTurn>(`/chats/${id}/messages`, { content }),
  saveAsCrew: (id: string, name?: string) => api.post<CrewDocument>(`/chats/${id}/crew`, name ? { name } : {}),
};

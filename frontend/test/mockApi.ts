/**
 * An in-memory stand-in for the Kasal API at the fetch boundary, plus a WebSocket double, for
 * smoke tests of whole pages. It follows the contract closely enough to drive the UI.
 */
import { vi } from 'vitest';
import type {
  Connection,
  ConnectionCheck,
  CrewDocument,
  EventsPage,
  Execution,
  ExecutionEvent,
  KnowledgeBase,
  KnowledgeFile,
  McpServer,
  McpServerTools,
  Model,
  OpenApiSource,
  OpenApiTool,
  RunFile,
  Tool,
  Trace,
} from '../src/api/types';
import type { Approval } from '../src/api/approvals';
import type { FlowCreate, FlowRead } from '../src/api/flows';
import { sampleDoc } from '../src/canvas/testDoc';

const json = (status: number, body?: unknown) =>
  new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
const page = <T,>(items: T[]) => ({ items, next_cursor: null });

type SourcePath = '/connections' | '/openapi-sources' | '/mcp-servers';
type Named = (Connection | OpenApiSource | McpServer) & { id: string; name: string };

export interface MockRequest {
  method: string;
  path: string;
  body: unknown;
}

export class MockApi {
  crews = new Map<string, CrewDocument>([['crew-1', { ...sampleDoc(), problems: [] }]]);
  executions = new Map<string, Execution>();
  requests: MockRequest[] = [];
  models: Model[] = [
    { key: 'demo', provider: 'demo', model: 'demo', label: 'Demo', context_window: 8000, max_output_tokens: 1000, default_temperature: null, enabled: true, base_url: null, is_custom: false, overridden: false, has_key: false, kind: 'chat', input_price_per_mtok: null, output_price_per_mtok: null, is_default: true },
    { key: 'gpt-4o', provider: 'openai', model: 'gpt-4o', label: 'GPT-4o', context_window: 128000, max_output_tokens: 4096, default_temperature: null, enabled: true, base_url: null, is_custom: false, overridden: false, has_key: false, kind: 'chat', input_price_per_mtok: null, output_price_per_mtok: null, is_default: false },
  ];
  /** What `POST /crews/{id}/validate` derives as the crew's inputs (the server's rule). */
  validateInputs = ['topic', 'audience'];
  /** Each run's files, with their text. */
  files = new Map<string, (RunFile & { text: string })[]>();
  tools: Tool[] = [
    { id: 'http_request', name: 'HTTP request', category: 'web', description: 'Fetch a URL', enabled: true, config_schema: { type: 'object', properties: {} }, credentials: [], caution: null },
  ];

  /** The group's tool sources, by collection path; a create adds the body (plus `made`) to it. */
  sources: Record<SourcePath, Named[]> = { '/connections': [], '/openapi-sources': [], '/mcp-servers': [] };
  /** What each kind of created row carries besides the body. */
  made: Record<SourcePath, (body: Record<string, unknown>) => Record<string, unknown>> = {
    '/connections': (b) => ({ dialect: String(b.url).split(':')[0], url: String(b.url).replace(/:[^:@/]+@/, ':***@'), has_password: Boolean(b.password), password: undefined }),
    '/openapi-sources': () => ({ title: 'API', doc_version: '1', source_url: null, base_url: 'https://api.example.com', operation_count: 0, auth: { type: 'none', location: null, name: null, has_secret: false } }),
    '/mcp-servers': () => ({ env_names: [], header_names: [], tool_count: null, discovered_at: null, last_error: null }),
  };
  connectionCheck: ConnectionCheck = { ok: true, server_version: 'SQLite 3.46.1', error: null, elapsed_ms: 3 };
  openApiTools = new Map<string, OpenApiTool[]>();
  mcpTools = new Map<string, McpServerTools>();
  knowledgeBases: KnowledgeBase[] = [];
  /** Each knowledge base's files, by base id. */
  knowledgeFiles = new Map<string, KnowledgeFile[]>();
  /** The group's approval requests; answering one sets its decision (409 once answered). */
  approvals: Approval[] = [];
  flows = new Map<string, FlowRead>();
  /** Answers that replace the mock's own for a route (`POST /connections`), once each. */
  overrides = new Map<string, Response>();

  /** List, create (409 on a name taken), patch and delete of a source collection. */
  private source(collection: SourcePath, id: string | undefined, method: string, body: Record<string, unknown> | undefined): Response | null {
    const items = this.sources[collection];
    if (method === 'GET' && !id) return json(200, page(items));
    if (method === 'POST' && !id) {
      if (items.some((i) => i.name === body?.name)) return json(409, { error: { code: 'name_taken', message: `${String(body?.name)} is taken`, details: [] } });
      const row = { id: `${collection.slice(1)}-${items.length + 1}`, description: '', created_at: '2025-01-01T00:00:00Z', updated_at: '2025-01-01T00:00:00Z', ...body, ...this.made[collection](body ?? {}) } as Named;
      items.push(row);
      return json(201, row);
    }
    const index = items.findIndex((i) => i.id === id);
    if (index === -1) return null;
    if (method === 'PATCH') {
      items[index] = { ...items[index], ...body, ...(body?.url !== undefined && collection === '/connections' ? this.made[collection](body) : {}) } as Named;
      return json(200, items[index]);
    }
    if (method === 'DELETE') {
      items.splice(index, 1);
      return json(204);
    }
    return json(200, items[index]);
  }

  handle = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(String(input), 'http://localhost');
    const path = url.pathname.replace(/^\/api\/v1/, '');
    const method = (init.method ?? 'GET').toUpperCase();
    const body = typeof init.body === 'string' && init.body ? JSON.parse(init.body) : undefined;
    this.requests.push({ method, path, body });
    const route = `${method} ${path}`;
    const override = this.overrides.get(route);
    if (override) {
      this.overrides.delete(route);
      return override;
    }

    const source = /^(\/connections|\/openapi-sources|\/mcp-servers)(?:\/([^/]+))?(\/tools|\/test)?$/.exec(path);
    if (source) {
      const [, collection, id, sub] = source as unknown as [string, SourcePath, string | undefined, string | undefined];
      if (sub === '/test' && collection === '/connections') return json(200, this.connectionCheck);
      if (sub === '/tools' && collection === '/openapi-sources') return json(200, page(this.openApiTools.get(id!) ?? []));
      if (sub && collection === '/mcp-servers') return json(200, this.mcpTools.get(id!) ?? { ok: true, error: null, discovered_at: null, tools: [] });
      const answer = this.source(collection, id, method, body);
      if (answer) return answer;
    }

    if (route === 'POST /auth/refresh' || route === 'POST /auth/login')
      return json(200, { access_token: 'access', refresh_token: 'r', token_type: 'bearer', expires_in: 900 });
    if (route === 'POST /auth/logout') return json(204);
    if (route === 'GET /users/me')
      return json(200, { id: 'u1', email: 'ada@example.org', name: 'Ada', is_admin: true, is_active: true, personal_group_id: 'g1', created_at: '2025-01-01T00:00:00Z' });
    if (route === 'GET /groups') return json(200, page([{ id: 'g1', name: 'Ada', is_personal: true, role: 'admin', created_at: '2025-01-01T00:00:00Z' }]));
    if (route === 'GET /groups/g1/members') return json(200, page([{ user_id: 'u1', email: 'ada@example.org', name: 'Ada', role: 'admin' }]));
    if (route === 'GET /models') return json(200, page(this.models));
    if (route === 'GET /tools') return json(200, page(this.tools));
    if (route === 'GET /agents' || route === 'GET /tasks' || route === 'GET /api-keys' || route === 'GET /auth/tokens' || route === 'GET /users') return json(200, page([]));
    if (route === 'GET /knowledge') return json(200, page(this.knowledgeBases));
    if (route === 'GET /approvals/count') return json(200, { pending: this.approvals.filter((a) => a.status === 'pending').length });
    if (route === 'GET /approvals') {
      const wanted = url.searchParams.get('status') ?? 'pending';
      return json(200, page(this.approvals.filter((a) => wanted === 'all' || (wanted === 'pending') === (a.status === 'pending'))));
    }
    const approvalPath = /^\/approvals\/([^/]+)$/.exec(path);
    if (approvalPath) {
      const approval = this.approvals.find((a) => a.id === approvalPath[1]);
      if (!approval) return json(404, { error: { code: 'approval_not_found', message: 'Approval not found', details: [] } });
      if (method === 'GET') return json(200, approval);
      if (approval.status !== 'pending') return json(409, { error: { code: 'approval_answered', message: 'This request was already answered', details: [] } });
      const answer = body as { decision: 'approve' | 'reject' | 'reply'; comment?: string; reply?: string };
      Object.assign(approval, {
        status: answer.decision === 'approve' ? 'approved' : answer.decision === 'reject' ? 'rejected' : 'replied',
        decision: answer.decision,
        comment: answer.comment ?? null,
        reply: answer.reply ?? null,
        answered_by: 'u1',
        answered_at: '2025-01-01T00:01:00Z',
      });
      return json(200, approval);
    }
    if (route === 'GET /flows')
      return json(200, page([...this.flows.values()].map(({ id, name, description, version, steps, created_at, updated_at }) => ({ id, name, description, version, step_count: steps.length, created_at, updated_at }))));
    if (route === 'POST /flows') {
      const flow = { ...(body as FlowCreate), id: `flow-${this.flows.size + 1}`, version: 1, created_at: '2025-01-01T00:00:00Z', updated_at: '2025-01-01T00:00:00Z', problems: [] };
      this.flows.set(flow.id, flow);
      return json(201, flow);
    }
    const flowPath = /^\/flows\/([^/]+)$/.exec(path);
    if (flowPath) {
      const flow = this.flows.get(flowPath[1]);
      if (!flow) return json(404, { error: { code: 'flow_not_found', message: 'Flow not found', details: [] } });
      if (method === 'GET') return json(200, flow);
      if (method === 'PUT') {
        const { version, ...doc } = body as FlowCreate & { version: number };
        if (version !== flow.version) return json(409, { error: { code: 'version_conflict', message: `Version ${version} is not the latest (${flow.version})`, details: [] } });
        const saved = { ...flow, ...doc, version: flow.version + 1 };
        this.flows.set(flow.id, saved);
        return json(200, saved);
      }
    }
    const knowledgeFiles = /^\/knowledge\/([^/]+)\/files$/.exec(path);
    if (knowledgeFiles && method === 'GET') return json(200, page(this.knowledgeFiles.get(knowledgeFiles[1]) ?? []));
    if (route === 'GET /crews')
      return json(200, page([...this.crews.values()].map(({ id, name, description, version, process, updated_at, created_at }) => ({ id, name, description, version, process, updated_at, created_at }))));

    let m = /^\/crews\/([^/]+)$/.exec(path);
    if (m) {
      const crew = this.crews.get(m[1]);
      if (!crew) return json(404, { error: { code: 'crew_not_found', message: 'Crew not found', details: [] } });
      if (method === 'GET') return json(200, crew);
      if (method === 'PUT') {
        const doc = body as CrewDocument;
        if (doc.version !== crew.version)
          return json(409, { error: { code: 'version_conflict', message: `Crew is at version ${crew.version}`, details: [] } });
        const saved = { ...crew, ...doc, id: crew.id, version: (crew.version ?? 0) + 1, problems: [] };
        this.crews.set(crew.id!, saved);
        return json(200, saved);
      }
    }
    m = /^\/crews\/([^/]+)\/versions$/.exec(path);
    if (m) return json(200, page([{ version: 3, created_at: '2025-01-01T00:00:00Z', author_email: 'ada@example.org' }]));
    m = /^\/crews\/([^/]+)\/validate$/.exec(path);
    if (m) return json(200, { problems: [], inputs: this.validateInputs });

    if (route === 'POST /executions') {
      const crew = this.crews.get((body as { crew_id: string }).crew_id)!;
      const e: Execution = {
        id: `exec-${this.executions.size + 1}`,
        crew_id: crew.id!,
        crew_name: crew.name,
        crew_version: crew.version!,
        status: 'queued',
        inputs: (body as { inputs: Record<string, string> }).inputs,
        result: null,
        task_outputs: {},
        usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
        cost: null,
        error: null,
        created_at: '2025-01-01T00:00:00Z',
        started_at: null,
        finished_at: null,
      };
      this.executions.set(e.id, e);
      return json(202, e);
    }
    if (route === 'GET /executions') return json(200, page([...this.executions.values()]));
    m = /^\/executions\/([^/]+)$/.exec(path);
    if (m && method === 'GET') return this.executions.has(m[1]) ? json(200, this.executions.get(m[1])) : json(404, { error: { code: 'execution_not_found', message: 'Not found', details: [] } });
    m = /^\/executions\/([^/]+)\/trace$/.exec(path);
    if (m)
      return json(200, {
        spans: [
          { id: 's1', parent_id: null, kind: 'crew', name: 'Research crew', start: '2025-01-01T00:00:00Z', end: '2025-01-01T00:00:10Z', duration_ms: 10000, tokens: 200, status: 'completed' },
          { id: 's2', parent_id: 's1', kind: 'task', name: 'research', start: '2025-01-01T00:00:01Z', end: '2025-01-01T00:00:05Z', duration_ms: 4000, tokens: 120, status: 'completed' },
          { id: 's3', parent_id: 's2', kind: 'llm', name: 'demo', start: '2025-01-01T00:00:02Z', end: '2025-01-01T00:00:03Z', duration_ms: 1000, tokens: 120, status: 'completed' },
        ],
      } satisfies Trace);
    m = /^\/executions\/([^/]+)\/events$/.exec(path);
    if (m) {
      const execution = this.executions.get(m[1]);
      const events: EventsPage = { items: [], last_seq: Number(url.searchParams.get('after') ?? 0), status: execution?.status ?? 'queued' };
      return json(200, events);
    }
    if (/^\/executions\/([^/]+)\/cancel$/.test(path)) return json(200, {});
    m = /^\/executions\/([^/]+)\/files$/.exec(path);
    if (m) return json(200, { files: (this.files.get(m[1]) ?? []).map(({ text: _t, ...f }) => f), truncated: false });
    m = /^\/executions\/([^/]+)\/files\/(.+)$/.exec(path);
    if (m) {
      const wanted = decodeURIComponent(m[2]);
      const file = this.files.get(m[1])?.find((f) => f.path === wanted);
      if (!file) return json(404, { error: { code: 'run_file_not_found', message: 'No such file', details: [] } });
      const name = wanted.split('/').pop()!;
      return new Response(file.text, { status: 200, headers: { 'Content-Type': file.media_type, 'Content-Disposition': `attachment; filename="${name}"` } });
    }

    return json(404, { error: { code: 'not_found', message: `No mock for ${route}`, details: [] } });
  };

  install() {
    vi.stubGlobal('fetch', vi.fn(this.handle));
    vi.stubGlobal('WebSocket', MockSocket);
    MockSocket.instances = [];
  }
}

/** Server side of a WebSocket: tests push events to subscribers. */
export class MockSocket {
  static instances: MockSocket[] = [];
  readyState = 0;
  sent: { type: string; execution_id?: string; after?: number }[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((m: { data: string }) => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;
  readonly url: string;
  constructor(url: string) {
    this.url = url;
    MockSocket.instances.push(this);
    setTimeout(() => {
      this.readyState = 1;
      this.onopen?.();
    }, 0);
  }
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close() {
    this.readyState = 3;
    this.onclose?.();
  }
  emit(message: unknown) {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
  static subscriberOf(executionId: string): MockSocket | undefined {
    return MockSocket.instances.find((s) => s.readyState === 1 && s.sent.some((m) => m.type === 'subscribe' && m.execution_id === executionId));
  }
  static pushEvent(e: ExecutionEvent) {
    MockSocket.subscriberOf(e.execution_id)?.emit({ type: 'event', event: e });
  }
}

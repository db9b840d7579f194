/**
 * Types of the Kasal REST API (/api/v1), under the names the components use.
 *
 * They are aliases of `schema.ts`, which `npm run generate` writes from the server's OpenAPI
 * document (and `make test` checks is current), so the web app cannot drift from the server.
 * Schemas shared by requests and responses mark fields with defaults optional; a response
 * always carries them all, hence the `Required<...>` of shapes the app reads.
 */
import type { components } from './schema';
import { apiKeyCreateProviderValues, eventTypeValues, roleValues, statusValues } from './schema';

type Schemas = components['schemas'];

export type Uuid = string;
export type IsoTime = string;

/** Every list answer (`Page_CrewSummary_`, `Page_ExecutionRead_`...) has this shape. */
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export type ErrorResponse = Schemas['ErrorResponse'];

/** An entry of an error's `details`: a field problem (`loc`), a file/line of a crew's import or a pointer of a flow's. */
export interface ErrorDetail {
  loc?: (string | number)[];
  pointer?: string;
  message: string;
  type?: string;
  file?: string;
  line?: number | null;
  [extra: string]: unknown;
}

export type TokenPair = Schemas['TokenPair'];
export type User = Schemas['UserRead'];
/** `token` only in the answer to creating one: it is shown once. */
export type PersonalAccessToken = Schemas['AccessTokenRead'] & Partial<Pick<Schemas['AccessTokenCreated'], 'token'>>;

export type Role = Schemas['Role'];
/** Most powerful first, as role pickers list them. */
export const ROLES: Role[] = [...roleValues].reverse();

export type Group = Schemas['GroupRead'];
export type Member = Schemas['MemberRead'];

export type ToolRef = Required<Schemas['ToolUse']>;
type WithTools<T extends { tools?: unknown }> = Omit<Required<T>, 'tools'> & { tools: ToolRef[] };
export type Agent = WithTools<Schemas['CrewAgent']>;
export type Task = WithTools<Schemas['CrewTask']>;

export type CrewEdge = Schemas['Edge'];
export type EdgeKind = CrewEdge['kind'];
export type Position = Schemas['Position'];

export interface CrewLayout {
  nodes: Record<string, Position>;
  viewport?: Schemas['Viewport'];
}

export type Problem = Schemas['Problem'];
export type Severity = Problem['severity'];

type CrewRead = Schemas['CrewRead'];
export type Process = CrewRead['process'];
export type MemoryScope = CrewRead['memory'];
export type MemoryList = Schemas['MemoryList'];
export type MemoryItem = Schemas['MemoryItem'];
export type SharedMemoryScope = MemoryList['scope'];
export type CrewSettings = Pick<CrewRead, 'name' | 'description' | 'process' | 'manager_llm' | 'planning' | 'memory' | 'embedder' | 'max_rpm' | 'verbose'> &
  Partial<Pick<CrewRead, 'default_inputs' | 'knowledge'>>;

/** A crew as the canvas holds it: what the server answered, or a draft not saved yet. */
export type CrewDocument = CrewSettings &
  Partial<Pick<CrewRead, 'id' | 'version' | 'edges' | 'inputs' | 'problems' | 'created_at' | 'updated_at'>> & {
    agents: Agent[];
    tasks: Task[];
    layout: CrewLayout;
  };

export type CrewSummary = Schemas['CrewSummary'];
export type CrewVersion = Schemas['VersionSummary'];
export type ValidationResult = Schemas['ValidationReport'];

/** Knowledge bases belong to a crew's agents: a library agent has none. */
export type LibraryAgent = Omit<Agent, 'key' | 'knowledge'> & { id: Uuid };
export type LibraryTask = Omit<Task, 'key' | 'agent' | 'context'> & { id: Uuid };

export type Provider = Schemas['ModelCreate']['provider'];

export type Model = Omit<Schemas['ModelRead'], 'provider'> & { provider: Provider };
export type ApiKey = Schemas['ApiKeyRead'];
/** Whose keys a group can store: model providers and the services tools call (web search...). */
export const API_KEY_PROVIDERS: readonly string[] = apiKeyCreateProviderValues;

/** A tool's configuration form, as JSON Schema (OpenAPI types it as any object). */
export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  items?: JsonSchema;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  writeOnly?: boolean;
  [extra: string]: unknown;
}

export type Tool = Omit<Schemas['ToolRead'], 'config_schema'> & { config_schema: JsonSchema | null };

/** A database connection of the group (`sql_query`); its URL comes back masked. */
export type Connection = Schemas['ConnectionRead'];
export type ConnectionCreate = Schemas['ConnectionCreate'];
export type ConnectionUpdate = Schemas['ConnectionUpdate'];
export type ConnectionCheck = Schemas['ConnectionCheck'];

/** An OpenAPI document the group registered; each of its operations is a tool. */
export type OpenApiSource = Schemas['OpenApiSourceRead'];
export type OpenApiSourceCreate = Schemas['OpenApiSourceCreate'];
export type OpenApiSourceUpdate = Schemas['OpenApiSourceUpdate'];
export type OpenApiAuth = Schemas['AuthIn'];
export type OpenApiAuthType = Schemas['AuthRead']['type'];
export type OpenApiTool = Schemas['OpenApiToolRead'];

/** An MCP server of the group; env values and header values are write-only (names only come back). */
export type McpServer = Schemas['McpServerRead'];
export type McpServerCreate = Schemas['McpServerCreate'];
export type McpServerUpdate = Schemas['McpServerUpdate'];
export type McpTransport = McpServer['transport'];
/** What a test found, or the last discovery (`ok` false: the server could not be reached). */
export type McpServerTools = Schemas['McpServerTools'];
export type McpTool = Schemas['McpToolRead'];

/** The group's tracing to MLflow, and what became of its latest runs' exports. */
export type Tracing = Schemas['TracingRead'];
export type TracingUpdate = Schemas['TracingUpdate'];
export type TraceExport = Schemas['TraceExportRead'];
/** A knowledge base of the group: documents chunked and embedded for agents to search. */
export type KnowledgeBase = Schemas['KnowledgeBaseRead'];
export type KnowledgeBaseCreate = Schemas['KnowledgeBaseCreate'];
export type KnowledgeBaseUpdate = Schemas['KnowledgeBaseUpdate'];
export type KnowledgeFile = Schemas['KnowledgeFileRead'];
export type KnowledgeFileStatus = Schemas['FileStatus'];
export type KnowledgeHit = Schemas['SearchHit'];

/** A crew's schedule: a cron in a time zone; `next_fire_times` and `last_fire` come computed. */
export type Schedule = Omit<Schemas['ScheduleRead'], 'inputs'> & { inputs: Record<string, string> };
export type ScheduleCreate = Schemas['ScheduleCreate'];
export type ScheduleUpdate = Schemas['ScheduleUpdate'];
export type ScheduleFire = Schemas['FireRead'];
export type MissedPolicy = Schedule['missed'];

/** A crew's trigger; its secret comes back once, when it is created. */
export type Trigger = Schemas['TriggerRead'];
export type TriggerCreated = Schemas['TriggerCreated'];

/** A webhook of the group; its secret is write-only (shown once when Kasal generates it). */
export type Webhook = Schemas['WebhookRead'];
export type WebhookCreate = Schemas['WebhookCreate'];
export type WebhookUpdate = Schemas['WebhookUpdate'];
export type WebhookCreated = Schemas['WebhookCreated'];
export type WebhookDelivery = Schemas['DeliveryRead'];

export type ExecutionStatus = Schemas['Status'];
export const EXECUTION_STATUSES: readonly ExecutionStatus[] = statusValues;

export const TERMINAL_STATUSES: ReadonlySet<ExecutionStatus> = new Set([
  'succeeded',
  'failed',
  'cancelled',
  'interrupted',
]);

export type Usage = Schemas['UsageRead'];
/** `crew_id` is null once the crew was deleted: the run outlives it. */
export type Execution = Omit<Schemas['ExecutionRead'], 'inputs' | 'task_outputs'> & {
  inputs: Record<string, string>;
  task_outputs: Record<string, string>;
};

export type EventType = Schemas['EventType'];
/** Every type an execution's event log can hold (the server's catalogue, `kasal.events`). */
export const EVENT_TYPES: readonly EventType[] = eventTypeValues;

export type ExecutionEvent = Schemas['EventRead'];
export type EventsPage = Schemas['EventPage'];

export type RunFile = Schemas['RunFile'];
export type RunFiles = Schemas['RunFiles'];

export type Span = Schemas['Span'];
export type SpanKind = Span['kind'];
export type Trace = Schemas['Trace'];

/** WebSocket frames (`/ws`), which OpenAPI does not describe: see `executions/ws.py`. */
export type ServerMessage =
  | { type: 'event'; event: ExecutionEvent }
  | { type: 'execution.status'; execution_id: Uuid; crew_id: Uuid | null; status: ExecutionStatus }
  | { type: 'ping' }
  | { type: 'error'; code: string; message: string };

/** `POST /generate/crew`: a crew from a sentence, or (with crew_id) a change to one. */
export type GenerateRequest = Schemas['GenerateRequest'];
/** One Server-Sent Event of a generation; the last is `done` (the saved crew) or `error`. */
export type GenerateEvent =
  | Schemas['StartedEvent']
  | Schemas['AgentEvent']
  | Schemas['TaskEvent']
  | Schemas['RepairEvent']
  | Schemas['DoneEvent']
  | Schemas['ErrorEvent'];

/** A prompt template as the group uses it (its own text, or the shipped default). */
export type PromptTemplate = Schemas['TemplateRead'];
/** A chat with a crew or a library agent: the caller's own; `crew_id`/`agent_id` turn null when the target is deleted. */
export type Chat = Schemas['ChatRead'];
export type ChatCreate = Schemas['ChatCreate'];
export type ChatUpdate = Schemas['ChatUpdate'];
/** An assistant message is `pending` (and empty) until its run ends; its tokens stream on the run's events. */
export type ChatMessage = Schemas['MessageRead'];
export type ChatTurn = Schemas['Turn'];

/** Types of the Kasal REST API (/api/v1). Kept in one place so the contract is easy to audit. */

export type Uuid = string;
export type IsoTime = string;

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface ErrorDetail {
  loc?: (string | number)[];
  message: string;
  type?: string;
  file?: string;
  line?: number;
  [extra: string]: unknown;
}

export interface TokenPair {
  access_token: string;
  refresh_token?: string;
  token_type: 'bearer';
  expires_in: number;
}

export interface User {
  id: Uuid;
  email: string;
  name: string;
  is_admin: boolean;
  is_active: boolean;
  personal_group_id: Uuid;
  created_at: IsoTime;
}

export interface PersonalAccessToken {
  id: Uuid;
  name: string;
  token?: string;
  created_at: IsoTime;
  expires_at: IsoTime | null;
  last_used_at: IsoTime | null;
}

export type Role = 'admin' | 'editor' | 'operator' | 'viewer';
export const ROLES: Role[] = ['admin', 'editor', 'operator', 'viewer'];

export interface Group {
  id: Uuid;
  name: string;
  is_personal: boolean;
  role: Role;
  created_at: IsoTime;
}

export interface Member {
  user_id: Uuid;
  email: string;
  name: string;
  role: Role;
}

export interface ToolRef {
  tool_id: string;
  config: Record<string, unknown>;
}

export interface Agent {
  key: string;
  role: string;
  goal: string;
  backstory: string;
  llm: string | null;
  tools: ToolRef[];
  allow_delegation: boolean;
  max_iter: number;
  max_rpm: number | null;
  max_execution_time: number | null;
  reasoning: boolean;
  verbose: boolean;
}

export interface Task {
  key: string;
  name: string;
  description: string;
  expected_output: string;
  agent: string | null;
  context: string[];
  tools: ToolRef[];
  async_execution: boolean;
  output_format: 'text' | 'json';
  output_schema: Record<string, unknown> | null;
  markdown: boolean;
  human_input: boolean;
}

export type EdgeKind = 'assignment' | 'context';

export interface CrewEdge {
  id: string;
  source: string;
  target: string;
  kind: EdgeKind;
}

export interface Position {
  x: number;
  y: number;
}

export interface CrewLayout {
  nodes: Record<string, Position>;
  viewport?: { x: number; y: number; zoom: number };
}

export type Severity = 'error' | 'warning';

export interface Problem {
  pointer: string;
  code: string;
  message: string;
  severity: Severity;
}

export type Process = 'sequential' | 'hierarchical';

export interface CrewSettings {
  name: string;
  description: string;
  process: Process;
  manager_llm: string | null;
  planning: boolean;
  memory: boolean;
  max_rpm: number | null;
  verbose: boolean;
}

export interface CrewDocument extends CrewSettings {
  id?: Uuid;
  version?: number;
  agents: Agent[];
  tasks: Task[];
  edges?: CrewEdge[];
  layout: CrewLayout;
  inputs?: string[];
  problems?: Problem[];
  created_at?: IsoTime;
  updated_at?: IsoTime;
}

export interface CrewSummary {
  id: Uuid;
  name: string;
  description: string;
  version: number;
  process: Process;
  agent_count?: number;
  task_count?: number;
  updated_at: IsoTime;
  created_at: IsoTime;
}

export interface CrewVersion {
  version: number;
  created_at: IsoTime;
  author_email: string | null;
}

export interface ValidationResult {
  problems: Problem[];
  inputs: string[];
}

export type LibraryAgent = Omit<Agent, 'key'> & { id: Uuid };
export type LibraryTask = Omit<Task, 'key'> & { id: Uuid };

export type Provider = 'openai' | 'anthropic' | 'gemini' | 'deepseek' | 'ollama' | 'databricks' | 'demo';
export const PROVIDERS: Provider[] = ['openai', 'anthropic', 'gemini', 'deepseek', 'ollama', 'databricks', 'demo'];

export interface Model {
  key: string;
  provider: Provider;
  /** `chat` for LLMs; other kinds (embeddings) are not offered as agent models. */
  kind?: string;
  model: string;
  label: string;
  context_window: number | null;
  max_output_tokens: number | null;
  default_temperature: number | null;
  enabled: boolean;
  base_url: string | null;
  is_custom: boolean;
  has_key: boolean;
}

export interface ApiKey {
  id: Uuid;
  name: string;
  provider: string;
  last4: string;
  created_at: IsoTime;
  updated_at: IsoTime;
}

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

export interface Tool {
  id: string;
  name: string;
  description: string;
  config_schema: JsonSchema | null;
  enabled: boolean;
}

export type ExecutionStatus =
  | 'queued'
  | 'running'
  | 'cancelling'
  | 'succeeded'
  | 'failed'
  | 'cancelled'
  | 'interrupted';

export const EXECUTION_STATUSES: ExecutionStatus[] = [
  'queued',
  'running',
  'cancelling',
  'succeeded',
  'failed',
  'cancelled',
  'interrupted',
];

export const TERMINAL_STATUSES: ReadonlySet<ExecutionStatus> = new Set([
  'succeeded',
  'failed',
  'cancelled',
  'interrupted',
]);

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface Execution {
  id: Uuid;
  crew_id: Uuid;
  crew_name: string;
  crew_version: number;
  status: ExecutionStatus;
  inputs: Record<string, string>;
  result: string | null;
  task_outputs: Record<string, string>;
  usage: Usage;
  cost: number | null;
  error: string | null;
  created_at: IsoTime;
  started_at: IsoTime | null;
  finished_at: IsoTime | null;
}

export interface ExecutionEvent {
  execution_id: Uuid;
  seq: number;
  type: string;
  ts: IsoTime;
  task_key: string | null;
  agent_key: string | null;
  data: Record<string, unknown>;
}

export interface EventsPage {
  items: ExecutionEvent[];
  last_seq: number;
}

export type SpanKind = 'crew' | 'task' | 'agent' | 'llm' | 'tool';

export interface Span {
  id: string;
  parent_id: string | null;
  kind: SpanKind;
  name: string;
  start: IsoTime;
  end: IsoTime | null;
  duration_ms: number | null;
  tokens: number | null;
  status: string;
}

export interface Trace {
  spans: Span[];
}

export type ServerMessage =
  | { type: 'event'; event: ExecutionEvent }
  | { type: 'execution.status'; execution_id: Uuid; crew_id: Uuid; status: ExecutionStatus }
  | { type: 'ping' }
  | { type: 'error'; code: string; message: string };

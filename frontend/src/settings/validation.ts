/** Rules of the settings forms (pure, shared with the tests). */
import { patterns } from '../api/schema';

/** The server's rule for model keys. */
const MODEL_KEY_PATTERN = new RegExp(patterns['ModelCreate.key']);

export interface ApiKeyFormValues {
  name: string;
  provider: string;
  value: string;
}

export type ApiKeyFormMode = 'create' | 'replace';

export function validateApiKeyForm(v: ApiKeyFormValues, mode: ApiKeyFormMode): Partial<Record<keyof ApiKeyFormValues, string>> {
  const errors: Partial<Record<keyof ApiKeyFormValues, string>> = {};
  if (mode === 'create') {
    if (!v.name.trim()) errors.name = 'Give the key a name';
    else if (v.name.trim().length > 100) errors.name = 'At most 100 characters';
    if (!v.provider) errors.provider = 'Choose a provider';
  }
  const value = v.value.trim();
  if (!value) errors.value = 'Paste the key';
  else if (value.length < 8) errors.value = 'That looks too short for an API key';
  else if (/\s/.test(value)) errors.value = 'An API key has no spaces';
  return errors;
}

export interface EndpointFormValues {
  provider: 'ollama' | 'databricks';
  key: string;
  model: string;
  label: string;
  base_url: string;
}

export function validateEndpointForm(v: EndpointFormValues, existingKeys: ReadonlySet<string>): Partial<Record<keyof EndpointFormValues, string>> {
  const errors: Partial<Record<keyof EndpointFormValues, string>> = {};
  if (!v.key.trim()) errors.key = 'A key is required';
  else if (!MODEL_KEY_PATTERN.test(v.key.trim())) errors.key = 'Lowercase letters, digits and . _ : / - only';
  else if (existingKeys.has(v.key.trim())) errors.key = 'A model with this key exists';
  if (!v.model.trim()) errors.model = 'The model name is required';
  if (!v.label.trim()) errors.label = 'A label is required';
  if (!v.base_url.trim()) errors.base_url = 'The endpoint URL is required';
  else {
    try {
      const url = new URL(v.base_url.trim());
      if (url.protocol !== 'http:' && url.protocol !== 'https:') errors.base_url = 'Use an http(s) URL';
    } catch {
      errors.base_url = 'Not a valid URL';
    }
  }
  return errors;
}

const CONNECTION_NAME_PATTERN = new RegExp(patterns['ConnectionCreate.name']);

export interface ConnectionFormValues {
  name: string;
  url: string;
  password: string;
  description: string;
}

export function validateConnectionForm(v: ConnectionFormValues): Partial<Record<keyof ConnectionFormValues, string>> {
  const errors: Partial<Record<keyof ConnectionFormValues, string>> = {};
  const name = v.name.trim();
  if (!name) errors.name = 'Give the connection a name';
  else if (!CONNECTION_NAME_PATTERN.test(name)) errors.name = 'Lowercase letters, digits, _ and - only, starting with a letter or digit';
  const url = v.url.trim();
  if (!url) errors.url = 'The database URL is required';
  else if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) errors.url = 'A URL like postgresql://user@host:5432/db or sqlite:////absolute/path.db';
  if (v.description.length > 2000) errors.description = 'At most 2000 characters';
  return errors;
}

const SOURCE_NAME_PATTERN = new RegExp(patterns['OpenApiSourceCreate.name']);
/** An HTTP header name (a token); the server holds a query parameter name to the same rule. */
export const KEY_NAME_PATTERN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,200}$/;

/** Where the document comes from: kept as registered (edits only), fetched once, or pasted. */
export type DocumentMode = 'keep' | 'url' | 'text';

export interface OpenApiFormValues {
  name: string;
  description: string;
  mode: DocumentMode;
  url: string;
  document: string;
  base_url: string;
  auth_type: 'none' | 'api_key' | 'bearer';
  location: 'header' | 'query';
  key_name: string;
  secret: string;
  enabled: boolean;
}

function httpUrlError(text: string): string | undefined {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? undefined : 'Use an http(s) URL';
  } catch {
    return 'Not a valid URL';
  }
}

/** `hasSecret`: a secret is stored already, so an edit may leave the field empty. */
export function validateOpenApiForm(v: OpenApiFormValues, hasSecret = false): Partial<Record<keyof OpenApiFormValues, string>> {
  const errors: Partial<Record<keyof OpenApiFormValues, string>> = {};
  const name = v.name.trim();
  if (!name) errors.name = 'Give the API a name';
  else if (!SOURCE_NAME_PATTERN.test(name)) errors.name = 'Letters, digits, _ and - only (it is part of openapi:<name> references)';
  if (v.mode === 'url') errors.url = v.url.trim() ? httpUrlError(v.url.trim()) : 'The URL of the OpenAPI document is required';
  if (v.mode === 'text' && !v.document.trim()) errors.document = 'Paste the document or upload its file';
  if (v.base_url.trim()) errors.base_url = httpUrlError(v.base_url.trim());
  if (v.auth_type === 'api_key' && !KEY_NAME_PATTERN.test(v.key_name.trim()))
    errors.key_name = v.key_name.trim() ? 'Letters, digits and - _ . only, no spaces' : `The ${v.location === 'header' ? 'header' : 'query parameter'} that carries the key`;
  if (v.auth_type !== 'none' && !v.secret && !hasSecret) errors.secret = v.auth_type === 'bearer' ? 'The bearer token is required' : 'The API key is required';
  for (const key of Object.keys(errors) as (keyof OpenApiFormValues)[]) if (!errors[key]) delete errors[key];
  return errors;
}

const MCP_NAME_PATTERN = new RegExp(patterns['McpServerCreate.name']);
const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/** An env variable or header: a stored one shows its name only; its value is write-only. */
export interface SecretEntry {
  name: string;
  /** Empty for a stored entry: keep its value. */
  value: string;
  stored: boolean;
  removed: boolean;
}

export interface McpFormValues {
  name: string;
  transport: 'stdio' | 'sse' | 'streamable_http';
  command: string;
  /** One argument per line. */
  args: string;
  cwd: string;
  env: SecretEntry[];
  url: string;
  headers: SecretEntry[];
  enabled: boolean;
}

function entriesError(entries: SecretEntry[], pattern: RegExp, what: string): string | undefined {
  const names = entries.filter((e) => !e.removed && (e.name.trim() || e.value)).map((e) => e.name.trim());
  const bad = names.find((n) => !pattern.test(n));
  if (bad !== undefined) return bad ? `${bad} is not a valid ${what} name` : `Give each ${what} a name`;
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  return twice ? `${twice} is set twice` : undefined;
}

export function validateMcpForm(v: McpFormValues): Partial<Record<keyof McpFormValues, string>> {
  const errors: Partial<Record<keyof McpFormValues, string>> = {};
  const name = v.name.trim();
  if (!name) errors.name = 'Give the server a name';
  else if (!MCP_NAME_PATTERN.test(name)) errors.name = 'Lowercase letters, digits, _ and - only (it is part of mcp:<name> references)';
  if (v.transport === 'stdio') {
    if (!v.command.trim()) errors.command = 'The executable to run, e.g. npx or uvx';
    if (v.cwd.trim() && !v.cwd.trim().startsWith('/')) errors.cwd = 'An absolute folder, starting with /';
    errors.env = entriesError(v.env, ENV_NAME_PATTERN, 'variable');
  } else {
    errors.url = v.url.trim() ? httpUrlError(v.url.trim()) : 'The URL of the MCP server is required';
    errors.headers = entriesError(v.headers, KEY_NAME_PATTERN, 'header');
  }
  for (const key of Object.keys(errors) as (keyof McpFormValues)[]) if (!errors[key]) delete errors[key];
  return errors;
}

/**
 * What the settings forms send: pure functions of the form's values (shared with the tests).
 * Secrets are write-only, so an empty secret field is left out and the server keeps the stored one.
 */
import type {
  Connection,
  ConnectionCreate,
  ConnectionUpdate,
  McpServer,
  McpServerCreate,
  McpServerUpdate,
  OpenApiAuth,
  OpenApiSource,
  OpenApiSourceCreate,
  OpenApiSourceUpdate,
} from '../api/types';
import type { ConnectionFormValues, McpFormValues, OpenApiFormValues, SecretEntry } from './validation';

/**
 * What an edit sends: only the fields that changed. The URL shows its password as ***; sent back
 * unchanged (or left out), the server keeps the stored password, so editing needs no retyping.
 */
export function connectionUpdate(before: Connection, v: ConnectionFormValues): ConnectionUpdate {
  const body: ConnectionUpdate = {};
  if (v.name.trim() !== before.name) body.name = v.name.trim();
  if (v.url.trim() !== before.url) body.url = v.url.trim();
  if (v.password) body.password = v.password;
  if (v.description.trim() !== before.description) body.description = v.description.trim();
  return body;
}

export function connectionCreate(v: ConnectionFormValues): ConnectionCreate {
  return { name: v.name.trim(), url: v.url.trim(), description: v.description.trim(), ...(v.password ? { password: v.password } : {}) };
}

/** The auth as the server takes it; an empty secret is left out (an edit then keeps the stored one). */
function authBody(v: OpenApiFormValues): OpenApiAuth {
  const secret = v.secret ? { secret: v.secret } : {};
  if (v.auth_type === 'api_key') return { type: 'api_key', location: v.location, name: v.key_name.trim(), ...secret };
  if (v.auth_type === 'bearer') return { type: 'bearer', ...secret };
  return { type: 'none' };
}

function documentBody(v: OpenApiFormValues): Pick<OpenApiSourceCreate, 'url' | 'document'> {
  if (v.mode === 'url') return { url: v.url.trim() };
  if (v.mode === 'text') return { document: v.document };
  return {};
}

export function openApiCreate(v: OpenApiFormValues): OpenApiSourceCreate {
  return {
    name: v.name.trim(),
    description: v.description.trim(),
    ...documentBody(v),
    ...(v.base_url.trim() ? { base_url: v.base_url.trim() } : {}),
    auth: authBody(v),
    enabled: v.enabled,
    timeout_s: 15,
    max_response_bytes: 100_000,
  };
}

/** What an edit sends: the fields that changed, the auth only when it did or a secret was typed. */
export function openApiUpdate(before: OpenApiSource, v: OpenApiFormValues): OpenApiSourceUpdate {
  const body: OpenApiSourceUpdate = documentBody(v);
  if (v.name.trim() !== before.name) body.name = v.name.trim();
  if (v.description.trim() !== before.description) body.description = v.description.trim();
  if (v.base_url.trim() && v.base_url.trim() !== before.base_url) body.base_url = v.base_url.trim();
  if (v.enabled !== before.enabled) body.enabled = v.enabled;
  const auth = authBody(v);
  const { type, location, name } = before.auth;
  const same = auth.type === type && (auth.location ?? null) === location && (auth.name ?? null) === name;
  if (!same || v.secret) body.auth = auth;
  return body;
}

/** The entries to set: typed values of new or replaced entries, null for removed stored ones. */
function entriesPatch(entries: SecretEntry[]): Record<string, string | null> {
  const patch: Record<string, string | null> = {};
  for (const e of entries) {
    const name = e.name.trim();
    if (e.stored && e.removed) patch[name] = null;
    else if (!e.removed && name && (!e.stored || e.value)) patch[name] = e.value;
  }
  return patch;
}

const lines = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

export function mcpCreate(v: McpFormValues): McpServerCreate {
  const common = { name: v.name.trim(), transport: v.transport, enabled: v.enabled, connect_timeout_s: 10, call_timeout_s: 60 };
  if (v.transport !== 'stdio') return { ...common, url: v.url.trim(), headers: entriesPatch(v.headers) as Record<string, string>, args: [], env: {} };
  return { ...common, command: v.command.trim(), args: lines(v.args), cwd: v.cwd.trim() || null, env: entriesPatch(v.env) as Record<string, string>, headers: {} };
}

/** What an edit sends: the fields that changed; env and headers as a merge (see `entriesPatch`). */
export function mcpUpdate(before: McpServer, v: McpFormValues): McpServerUpdate {
  const body: McpServerUpdate = {};
  if (v.name.trim() !== before.name) body.name = v.name.trim();
  if (v.transport !== before.transport) body.transport = v.transport;
  if (v.enabled !== before.enabled) body.enabled = v.enabled;
  const entries = v.transport === 'stdio' ? v.env : v.headers;
  const patch = entriesPatch(entries);
  if (Object.keys(patch).length > 0) body[v.transport === 'stdio' ? 'env' : 'headers'] = patch;
  if (v.transport === 'stdio') {
    if (v.command.trim() !== (before.command ?? '')) body.command = v.command.trim();
    if (lines(v.args).join('\n') !== before.args.join('\n')) body.args = lines(v.args);
    if (v.cwd.trim() !== (before.cwd ?? '')) body.cwd = v.cwd.trim() || null;
  } else if (v.url.trim() !== (before.url ?? '')) body.url = v.url.trim();
  return body;
}

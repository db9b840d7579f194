/**
 * What the settings forms send: pure functions of the form's values (shared with the tests).
 * Secrets are write-only, so an empty secret field is left out and the server keeps the stored one.
 */
import type { Connection, ConnectionCreate, ConnectionUpdate, OpenApiAuth, OpenApiSource, OpenApiSourceCreate, OpenApiSourceUpdate } from '../api/types';
import type { ConnectionFormValues, OpenApiFormValues } from './validation';

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

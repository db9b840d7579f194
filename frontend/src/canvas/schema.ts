/**
 * A JSON Schema subset for tool configuration: what the config forms render and check.
 *
 * The schemas come from pydantic (`model_json_schema()`), so besides plain properties they use
 * `$ref` into `$defs` (enums, nested models), `anyOf: [X, {type: null}]` for optional fields,
 * `const` for a one-value literal and `exclusiveMinimum` for `gt=`. `fields` turns each
 * property into the plain shape the form works with; tools the web app does not know yet get a
 * usable form as long as their schema keeps to this subset (anything else edits as JSON).
 */
import type { JsonSchema } from '../api/types';

export type FieldKind =
  | 'boolean'
  | 'enum'
  | 'enum-list'
  | 'integer'
  | 'number'
  | 'string'
  | 'url'
  | 'secret'
  | 'string-list'
  | 'object'
  | 'json';

/** How deep `$ref`s are followed: a recursive model must not hang the form. */
const MAX_REF_DEPTH = 8;

export function primaryType(schema: JsonSchema): string | undefined {
  if (Array.isArray(schema.type)) return schema.type.find((t) => t !== 'null');
  if (schema.type) return schema.type;
  const anyOf = schema.anyOf as JsonSchema[] | undefined;
  const first = anyOf?.find((s) => s.type && s.type !== 'null');
  return first ? primaryType(first) : undefined;
}

function lookup(root: JsonSchema, ref: string): JsonSchema | undefined {
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = root;
  for (const part of ref.slice(2).split('/')) {
    node = node && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined;
  }
  return node && typeof node === 'object' ? (node as JsonSchema) : undefined;
}

/** `schema` with its `$ref` replaced by the definition; the definition's title is a class name
 * (`SearchProvider`), not a label, so the field's own annotations win and that title is dropped. */
function deref(schema: JsonSchema, root: JsonSchema, depth = 0): JsonSchema {
  const ref = schema.$ref;
  if (typeof ref !== 'string' || depth >= MAX_REF_DEPTH) return schema;
  const target = lookup(root, ref);
  if (!target) return schema;
  const { title: _classTitle, ...definition } = target;
  const { $ref: _ref, ...annotations } = schema;
  return deref({ ...definition, ...annotations }, root, depth + 1);
}

/** `Optional[X]` (anyOf/oneOf X | null) and a lone `allOf: [X]` as X, with the outer annotations. */
function unwrap(schema: JsonSchema, root: JsonSchema): JsonSchema {
  for (const combinator of ['anyOf', 'oneOf', 'allOf'] as const) {
    const branches = schema[combinator] as JsonSchema[] | undefined;
    const real = branches?.filter((b) => b.type !== 'null');
    if (real?.length !== 1) continue;
    const { [combinator]: _branches, ...annotations } = schema;
    return { ...deref(real[0], root), ...annotations };
  }
  return schema;
}

/** One property as the form sees it: references resolved, optional wrappers removed. */
export function resolveProperty(prop: JsonSchema, root: JsonSchema): JsonSchema {
  const resolved = unwrap(deref(prop, root), root);
  if (resolved.const !== undefined && !resolved.enum) return { ...resolved, enum: [resolved.const] };
  return resolved;
}

/** The properties of an object schema, resolved against `root` (where `$defs` live). */
export function fields(schema: JsonSchema | null | undefined, root?: JsonSchema | null): [string, JsonSchema][] {
  const base = root ?? schema;
  if (!schema?.properties || !base) return [];
  return Object.entries(schema.properties).map(([name, prop]) => [name, resolveProperty(prop, base)]);
}

/** `max_results` → "Max results": the label of a field without a title. */
export function humanize(name: string): string {
  const words = name.replace(/_/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function fieldLabel(name: string, schema: JsonSchema): string {
  return schema.title ?? humanize(name);
}

export function fieldKind(name: string, schema: JsonSchema): FieldKind {
  if (schema.enum) return 'enum';
  const type = primaryType(schema);
  if (type === 'boolean') return 'boolean';
  if (type === 'integer') return 'integer';
  if (type === 'number') return 'number';
  if (type === 'array') {
    if (schema.items?.enum) return 'enum-list';
    if (!schema.items || primaryType(schema.items) === 'string') return 'string-list';
    return 'json';
  }
  if (type === 'object') return schema.properties && Object.keys(schema.properties).length > 0 ? 'object' : 'json';
  if (type === 'string' || type === undefined) {
    if (schema.format === 'password' || schema.writeOnly || /(^|_)(key|secret|token|password)$/i.test(name)) return 'secret';
    if (schema.format === 'uri' || schema.format === 'url') return 'url';
    return 'string';
  }
  return 'json';
}

/** The allowed range of a number, in words for the helper text ("1 to 20", "above 0, at most 60"). */
export function rangeHint(schema: JsonSchema): string | null {
  const show = (n: unknown) => (typeof n === 'number' ? n.toLocaleString('en-US') : '');
  const low = show(schema.minimum ?? schema.exclusiveMinimum);
  const high = show(schema.maximum ?? schema.exclusiveMaximum);
  const inclusive = schema.minimum !== undefined && schema.maximum !== undefined;
  if (inclusive) return `${low} to ${high}`;
  const parts = [
    schema.minimum !== undefined ? `at least ${low}` : schema.exclusiveMinimum !== undefined ? `above ${low}` : null,
    schema.maximum !== undefined ? `at most ${high}` : schema.exclusiveMaximum !== undefined ? `below ${high}` : null,
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : null;
}

function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);
}

function numberProblem(label: string, schema: JsonSchema, value: unknown, integer: boolean): string | null {
  if (typeof value !== 'number' || Number.isNaN(value)) return `${label} must be a number`;
  if (integer && !Number.isInteger(value)) return `${label} must be a whole number`;
  const above = schema.exclusiveMinimum as number | undefined;
  const below = schema.exclusiveMaximum as number | undefined;
  if (schema.minimum !== undefined && value < schema.minimum) return `${label} must be at least ${schema.minimum}`;
  if (above !== undefined && value <= above) return `${label} must be above ${above}`;
  if (schema.maximum !== undefined && value > schema.maximum) return `${label} must be at most ${schema.maximum}`;
  if (below !== undefined && value >= below) return `${label} must be below ${below}`;
  return null;
}

function stringProblem(label: string, schema: JsonSchema, value: string, url: boolean): string | null {
  if (schema.minLength !== undefined && value.length < schema.minLength) return `${label} needs at least ${schema.minLength} characters`;
  if (schema.maxLength !== undefined && value.length > schema.maxLength) return `${label} allows at most ${schema.maxLength} characters`;
  if (url && !/^[a-z][a-z0-9+.-]*:\/\/[^\s/]+/i.test(value)) return `${label} must be a full URL, such as https://example.org`;
  if (schema.pattern) {
    try {
      if (!new RegExp(schema.pattern).test(value)) return `${label} has the wrong format`;
    } catch {
      // An unusable pattern is the server's business.
    }
  }
  return null;
}

/** The first problem of one value, or null. `root` resolves the `$ref`s of nested objects. */
export function validateValue(name: string, schema: JsonSchema, value: unknown, required: boolean, root: JsonSchema = schema): string | null {
  const label = fieldLabel(name, schema);
  if (isEmpty(value)) return required ? `${label} is required` : null;
  const kind = fieldKind(name, schema);
  if (kind === 'integer' || kind === 'number') return numberProblem(label, schema, value, kind === 'integer');
  if ((kind === 'string' || kind === 'secret' || kind === 'url') && typeof value === 'string') return stringProblem(label, schema, value, kind === 'url');
  if (kind === 'enum' && schema.enum && !schema.enum.includes(value)) return `${label} must be one of ${schema.enum.join(', ')}`;
  if (kind === 'enum-list' && Array.isArray(value)) {
    const wrong = value.find((v) => !schema.items?.enum?.includes(v));
    if (wrong !== undefined) return `${label}: ${String(wrong)} is not one of ${schema.items?.enum?.join(', ')}`;
  }
  if (kind === 'object' && typeof value === 'object') {
    const nested = Object.values(validateConfig(schema, value as Record<string, unknown>, root));
    if (nested.length) return `${label}: ${nested[0]}`;
  }
  return null;
}

export function validateConfig(schema: JsonSchema | null | undefined, config: Record<string, unknown>, root?: JsonSchema | null): Record<string, string> {
  const errors: Record<string, string> = {};
  const base = root ?? schema ?? {};
  const required = new Set(schema?.required ?? []);
  for (const [name, prop] of fields(schema, base)) {
    const error = validateValue(name, prop, config[name], required.has(name), base);
    if (error) errors[name] = error;
  }
  return errors;
}

/** A new use's configuration: every top-level default the schema states (null ones left out). */
export function defaultConfig(schema: JsonSchema | null | undefined): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  for (const [name, prop] of fields(schema)) if (prop.default !== undefined && prop.default !== null) config[name] = prop.default;
  return config;
}

/** Text shown in the field for a value. */
export function toText(kind: FieldKind, value: unknown): string {
  if (value === undefined || value === null) return '';
  if (kind === 'string-list') return Array.isArray(value) ? value.join(', ') : String(value);
  if (kind === 'json') return JSON.stringify(value, null, 2);
  return String(value);
}

/** Parse a field's text; `undefined` removes the key from the config. */
export function fromText(kind: FieldKind, text: string): { value?: unknown; error?: string } {
  if (text.trim() === '') return { value: undefined };
  switch (kind) {
    case 'integer':
    case 'number': {
      const n = Number(text);
      return Number.isNaN(n) ? { error: 'Must be a number' } : { value: n };
    }
    case 'string-list':
      return { value: text.split(',').map((s) => s.trim()).filter(Boolean) };
    case 'url':
      return { value: text.trim() };
    case 'json':
      try {
        return { value: JSON.parse(text) };
      } catch {
        return { error: 'Not valid JSON' };
      }
    default:
      return { value: text };
  }
}

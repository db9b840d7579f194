/** A small JSON Schema subset for tool configuration: what the config forms render and check. */
import type { JsonSchema } from '../api/types';

export type FieldKind = 'boolean' | 'enum' | 'integer' | 'number' | 'string' | 'secret' | 'string-list' | 'json';

export function primaryType(schema: JsonSchema): string | undefined {
  if (Array.isArray(schema.type)) return schema.type.find((t) => t !== 'null');
  if (schema.type) return schema.type;
  // pydantic's Optional[X] comes out as anyOf: [{type: X}, {type: null}]
  const anyOf = schema.anyOf as JsonSchema[] | undefined;
  const first = anyOf?.find((s) => s.type && s.type !== 'null');
  return first ? primaryType(first) : undefined;
}

export function fieldKind(name: string, schema: JsonSchema): FieldKind {
  if (schema.enum) return 'enum';
  const type = primaryType(schema);
  if (type === 'boolean') return 'boolean';
  if (type === 'integer') return 'integer';
  if (type === 'number') return 'number';
  if (type === 'array' && (!schema.items || primaryType(schema.items) === 'string')) return 'string-list';
  if (type === 'string' || type === undefined) {
    if (schema.format === 'password' || schema.writeOnly || /(^|_)(key|secret|token|password)$/i.test(name)) return 'secret';
    return 'string';
  }
  return 'json';
}

function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);
}

export function validateValue(name: string, schema: JsonSchema, value: unknown, required: boolean): string | null {
  const label = schema.title ?? name;
  if (isEmpty(value)) return required ? `${label} is required` : null;
  const kind = fieldKind(name, schema);
  if (kind === 'integer' || kind === 'number') {
    if (typeof value !== 'number' || Number.isNaN(value)) return `${label} must be a number`;
    if (kind === 'integer' && !Number.isInteger(value)) return `${label} must be a whole number`;
    if (schema.minimum !== undefined && value < schema.minimum) return `${label} must be at least ${schema.minimum}`;
    if (schema.maximum !== undefined && value > schema.maximum) return `${label} must be at most ${schema.maximum}`;
  }
  if ((kind === 'string' || kind === 'secret') && typeof value === 'string') {
    if (schema.minLength !== undefined && value.length < schema.minLength) return `${label} needs at least ${schema.minLength} characters`;
    if (schema.maxLength !== undefined && value.length > schema.maxLength) return `${label} allows at most ${schema.maxLength} characters`;
    if (schema.pattern) {
      try {
        if (!new RegExp(schema.pattern).test(value)) return `${label} has the wrong format`;
      } catch {
        // An unusable pattern is the server's business.
      }
    }
  }
  if (kind === 'enum' && schema.enum && !schema.enum.includes(value)) return `${label} must be one of ${schema.enum.join(', ')}`;
  return null;
}

export function validateConfig(schema: JsonSchema | null | undefined, config: Record<string, unknown>): Record<string, string> {
  const errors: Record<string, string> = {};
  if (!schema?.properties) return errors;
  const required = new Set(schema.required ?? []);
  for (const [name, prop] of Object.entries(schema.properties)) {
    const error = validateValue(name, prop, config[name], required.has(name));
    if (error) errors[name] = error;
  }
  return errors;
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

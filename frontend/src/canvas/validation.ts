/** Field rules of the agent and task forms. Pure, so the forms and the tests share them. */
import { KEY_PATTERN, KEY_RULE } from './model';

export function validateKey(value: string, otherKeys: ReadonlySet<string>): string | null {
  const v = value.trim();
  if (!v) return 'A key is required';
  if (!KEY_PATTERN.test(v)) return KEY_RULE;
  if (otherKeys.has(v)) return `"${v}" is already used by another agent or task`;
  return null;
}

export function required(label: string) {
  return (value: string): string | null => (value.trim() ? null : `${label} is required`);
}

/** An optional positive integer ("" means not set). */
export function optionalPositiveInt(label: string) {
  return (value: string): string | null => {
    if (value.trim() === '') return null;
    return /^\d+$/.test(value.trim()) && Number(value) > 0 ? null : `${label} must be a whole number above 0`;
  };
}

export function positiveInt(label: string) {
  return (value: string): string | null => {
    if (value.trim() === '') return `${label} is required`;
    return optionalPositiveInt(label)(value);
  };
}

export function parseOptionalInt(value: string): number | null {
  return value.trim() === '' ? null : Number.parseInt(value, 10);
}

export function validateJsonObject(value: string): string | null {
  if (!value.trim()) return null;
  try {
    const parsed: unknown = JSON.parse(value);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? null : 'Must be a JSON object';
  } catch {
    return 'Not valid JSON';
  }
}

export interface AgentFormValues {
  key: string;
  role: string;
  goal: string;
  backstory: string;
  max_iter: string;
  max_rpm: string;
  max_execution_time: string;
}

export interface TaskFormValues {
  key: string;
  name: string;
  description: string;
  expected_output: string;
  output_schema: string;
}

export type FormErrors<T> = Partial<Record<keyof T, string>>;

export function validateAgentForm(v: AgentFormValues, otherKeys: ReadonlySet<string>): FormErrors<AgentFormValues> {
  const errors: FormErrors<AgentFormValues> = {};
  const checks: [keyof AgentFormValues, string | null][] = [
    ['key', validateKey(v.key, otherKeys)],
    ['role', required('Role')(v.role)],
    ['goal', required('Goal')(v.goal)],
    ['max_iter', positiveInt('Max iterations')(v.max_iter)],
    ['max_rpm', optionalPositiveInt('Max requests per minute')(v.max_rpm)],
    ['max_execution_time', optionalPositiveInt('Max execution time')(v.max_execution_time)],
  ];
  for (const [field, error] of checks) if (error) errors[field] = error;
  return errors;
}

export function validateTaskForm(v: TaskFormValues, otherKeys: ReadonlySet<string>, outputFormat: 'text' | 'json'): FormErrors<TaskFormValues> {
  const errors: FormErrors<TaskFormValues> = {};
  const checks: [keyof TaskFormValues, string | null][] = [
    ['key', validateKey(v.key, otherKeys)],
    ['name', required('Name')(v.name)],
    ['description', required('Description')(v.description)],
    ['expected_output', required('Expected output')(v.expected_output)],
    ['output_schema', outputFormat === 'json' ? validateJsonObject(v.output_schema) : null],
  ];
  for (const [field, error] of checks) if (error) errors[field] = error;
  return errors;
}

/** A failed save as a form shows it: each server complaint on the field it concerns. */
import { ApiError, errorMessage } from '../api/client';

export interface FormErrors<F extends string> {
  fields: Partial<Record<F, string>>;
  /** What no field explains (a network failure, a rule of the whole form); null when the fields say it all. */
  form: string | null;
}

/**
 * Split `error` over the form's `fields`: a 422 detail goes to the deepest field its `loc` names
 * (`["body", "auth", "secret"]` → `secret`) or to the one its `field` names (a domain rule, whose
 * message is the error's), and an error whose code `byCode` maps (a 409 "name taken", a URL the
 * server refused) goes to that field with the server's message and the details no field names.
 */
export function formErrors<F extends string>(error: unknown, fields: readonly F[], byCode: Partial<Record<string, F>> = {}): FormErrors<F> {
  if (!(error instanceof ApiError)) return { fields: {}, form: errorMessage(error) };
  const known = new Set<string>(fields);
  const placed: Partial<Record<F, string>> = {};
  const unplaced: string[] = [];
  for (const detail of error.details) {
    const named = typeof detail.field === 'string' ? [detail.field] : [...(detail.loc ?? [])].reverse();
    const field = named.find((part) => known.has(String(part))) as F | undefined;
    const message = detail.message ?? error.message;
    if (field && !placed[field]) placed[field] = message;
    else if (!field) unplaced.push(message);
  }
  const whole = unplaced.length ? `${error.message}: ${unplaced.join('; ')}` : error.message;
  const codeField = byCode[error.code];
  if (codeField && !placed[codeField]) return { fields: { ...placed, [codeField]: whole }, form: null };
  const explained = Object.keys(placed).length > 0 && unplaced.length === 0;
  return { fields: placed, form: explained ? null : whole };
}

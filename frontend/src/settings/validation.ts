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

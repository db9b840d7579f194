import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { renderWithProviders } from '../../test/render';
import ApiKeyForm from './ApiKeyForm';
import { validateApiKeyForm, validateEndpointForm } from './validation';

describe('validateApiKeyForm', () => {
  it('requires name, provider and value when adding', () => {
    expect(validateApiKeyForm({ name: '', provider: '', value: '' }, 'create')).toEqual({
      name: 'Give the key a name',
      provider: 'Choose a provider',
      value: 'Paste the key',
    });
  });
  it('only needs a value when replacing', () => {
    expect(validateApiKeyForm({ name: '', provider: '', value: 'sk-1234567890' }, 'replace')).toEqual({});
  });
  it('rejects short values and values with spaces', () => {
    expect(validateApiKeyForm({ name: 'n', provider: 'openai', value: 'abc' }, 'create').value).toMatch(/too short/);
    expect(validateApiKeyForm({ name: 'n', provider: 'openai', value: 'sk-1234 5678' }, 'create').value).toMatch(/no spaces/);
  });
});

describe('validateEndpointForm', () => {
  it('checks key uniqueness and the URL', () => {
    const errors = validateEndpointForm({ provider: 'ollama', key: 'demo', model: 'llama3', label: 'Llama', base_url: 'ftp://x' }, new Set(['demo']));
    expect(errors).toEqual({ key: 'A model with this key exists', base_url: 'Use an http(s) URL' });
  });
});

describe('ApiKeyForm', () => {
  it('shows errors on submit and does not submit an invalid form', async () => {
    const onSubmit = vi.fn();
    renderWithProviders(<ApiKeyForm mode="create" onSubmit={onSubmit} onCancel={vi.fn()} />);
    await userEvent.click(screen.getByRole('button', { name: 'Add key' }));
    expect(screen.getByText('Give the key a name')).toBeInTheDocument();
    expect(screen.getByText('Choose a provider')).toBeInTheDocument();
    expect(screen.getByText('Paste the key')).toBeInTheDocument();
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it('submits trimmed values; the key field is masked', async () => {
    const onSubmit = vi.fn();
    renderWithProviders(<ApiKeyForm mode="create" onSubmit={onSubmit} onCancel={vi.fn()} />);
    await userEvent.type(screen.getByRole('textbox', { name: /name/i }), ' OpenAI prod ');
    await userEvent.click(screen.getByRole('combobox', { name: /provider/i }));
    await userEvent.click(within(await screen.findByRole('listbox')).getByText('OpenAI'));
    const value = screen.getByLabelText(/key value/i);
    expect(value).toHaveAttribute('type', 'password');
    await userEvent.type(value, 'sk-test-1234567890');
    await userEvent.click(screen.getByRole('button', { name: 'Add key' }));
    expect(onSubmit).toHaveBeenCalledWith({ name: 'OpenAI prod', provider: 'openai', value: 'sk-test-1234567890' });
  });

  it('asks only for the new value when replacing', async () => {
    const onSubmit = vi.fn();
    renderWithProviders(<ApiKeyForm mode="replace" initial={{ name: 'OpenAI prod', provider: 'openai' }} onSubmit={onSubmit} onCancel={vi.fn()} />);
    expect(screen.queryByRole('textbox', { name: /name/i })).toBeNull();
    expect(screen.getByText('Replace "OpenAI prod"')).toBeInTheDocument();
    await userEvent.type(screen.getByLabelText(/key value/i), 'sk-new-value-123');
    await userEvent.click(screen.getByRole('button', { name: 'Replace key' }));
    expect(onSubmit).toHaveBeenCalledWith({ name: 'OpenAI prod', provider: 'openai', value: 'sk-new-value-123' });
  });
});

import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { renderWithProviders } from '../../test/render';
import type { Model, Tool } from '../api/types';
import AgentForm from './AgentForm';
import { toEditable } from './model';
import { validateConfig } from './schema';
import TaskForm from './TaskForm';
import { sampleDoc } from './testDoc';
import { validateAgentForm, validateKey, validateTaskForm } from './validation';

const models: Model[] = [
  { key: 'demo', provider: 'demo', model: 'demo', label: 'Demo', context_window: 8000, max_output_tokens: 1000, default_temperature: null, enabled: true, base_url: null, is_custom: false, overridden: false, has_key: false, kind: 'chat', input_price_per_mtok: null, output_price_per_mtok: null, is_default: false },
  { key: 'gpt-4o', provider: 'openai', model: 'gpt-4o', label: 'GPT-4o', context_window: 128000, max_output_tokens: 4096, default_temperature: null, enabled: true, base_url: null, is_custom: false, overridden: false, has_key: false, kind: 'chat', input_price_per_mtok: null, output_price_per_mtok: null, is_default: false },
  { key: 'claude', provider: 'anthropic', model: 'claude', label: 'Claude', context_window: 200000, max_output_tokens: 4096, default_temperature: null, enabled: false, base_url: null, is_custom: false, overridden: false, has_key: true, kind: 'chat', input_price_per_mtok: null, output_price_per_mtok: null, is_default: false },
];

const tools: Tool[] = [
  {
    id: 'http_request',
    name: 'HTTP request',
    category: 'web',
    description: 'Fetch a URL',
    enabled: true,
    credentials: [],
    caution: null,
    config_schema: {
      type: 'object',
      properties: {
        base_url: { type: 'string', title: 'Base URL' },
        timeout: { type: 'integer', title: 'Timeout', minimum: 1, maximum: 60 },
        api_key: { type: 'string', title: 'API key' },
        follow_redirects: { type: 'boolean', title: 'Follow redirects' },
      },
      required: ['base_url'],
    },
  },
  { id: 'search', name: 'Web search', category: 'web', description: '', enabled: true, config_schema: null, credentials: [], caution: null },
  { id: 'shell', name: 'Shell', category: 'code', description: '', enabled: false, config_schema: null, credentials: [], caution: 'Runs commands on the host' },
];

describe('field rules', () => {
  it('validates keys: required, pattern, unique', () => {
    const others = new Set(['research']);
    expect(validateKey('', others)).toMatch(/required/);
    expect(validateKey('Has Space', others)).toMatch(/Letters, digits/);
    expect(validateKey('x'.repeat(65), others)).toMatch(/at most 64/);
    // The server's rule, not a stricter one: capitals are fine.
    expect(validateKey('Writer_2', others)).toBeNull();
    expect(validateKey('research', others)).toMatch(/already used/);
    expect(validateKey('agent-2', others)).toBeNull();
  });

  it('validates the agent form', () => {
    const errors = validateAgentForm(
      { key: 'a', role: '', goal: 'g', backstory: '', max_iter: '0', max_rpm: 'x', max_execution_time: '' },
      new Set(),
    );
    expect(Object.keys(errors).sort()).toEqual(['max_iter', 'max_rpm', 'role']);
  });

  it('validates the task form, including the JSON output schema', () => {
    const values = { key: 't', name: 'T', description: 'd', expected_output: '', output_schema: '{oops' };
    expect(Object.keys(validateTaskForm(values, new Set(), 'json')).sort()).toEqual(['expected_output', 'output_schema']);
    expect(Object.keys(validateTaskForm(values, new Set(), 'text'))).toEqual(['expected_output']);
  });

  it('validates tool config against its JSON schema', () => {
    const schema = tools[0].config_schema;
    expect(validateConfig(schema, {})).toEqual({ base_url: 'Base URL is required' });
    expect(validateConfig(schema, { base_url: 'http://x', timeout: 0 })).toEqual({ timeout: 'Timeout must be at least 1' });
    expect(validateConfig(schema, { base_url: 'http://x', timeout: 5 })).toEqual({});
  });
});

describe('AgentForm', () => {
  const agent = toEditable(sampleDoc()).agents[0];

  it('commits a text field when it loses focus', async () => {
    const onChange = vi.fn();
    renderWithProviders(<AgentForm agent={agent} otherKeys={new Set(['research'])} models={models} tools={tools} onChange={onChange} />);
    const role = screen.getByRole('textbox', { name: /role/i });
    await userEvent.clear(role);
    await userEvent.type(role, 'Analyst');
    expect(onChange).not.toHaveBeenCalled();
    await userEvent.tab();
    expect(onChange).toHaveBeenCalledWith({ role: 'Analyst' });
  });

  it('shows a required error for an empty role (and still commits so the node shows it)', async () => {
    const onChange = vi.fn();
    renderWithProviders(<AgentForm agent={agent} otherKeys={new Set()} models={models} tools={tools} onChange={onChange} />);
    await userEvent.clear(screen.getByRole('textbox', { name: /role/i }));
    await userEvent.tab();
    expect(screen.getByText('Role is required')).toBeInTheDocument();
    expect(onChange).toHaveBeenCalledWith({ role: '' });
  });

  it('refuses a duplicate key', async () => {
    const onChange = vi.fn();
    renderWithProviders(<AgentForm agent={agent} otherKeys={new Set(['research'])} models={models} tools={tools} onChange={onChange} />);
    const key = screen.getByRole('textbox', { name: /^key/i });
    await userEvent.clear(key);
    await userEvent.type(key, 'research');
    await userEvent.tab();
    expect(screen.getByText(/already used/)).toBeInTheDocument();
    expect(onChange).not.toHaveBeenCalled();
  });

  it('refuses a non-numeric max iterations', async () => {
    const onChange = vi.fn();
    renderWithProviders(<AgentForm agent={agent} otherKeys={new Set()} models={models} tools={tools} onChange={onChange} />);
    const field = screen.getByRole('textbox', { name: /max iterations/i });
    await userEvent.clear(field);
    await userEvent.type(field, 'abc');
    await userEvent.tab();
    expect(screen.getByText(/whole number/)).toBeInTheDocument();
    expect(onChange).not.toHaveBeenCalled();
  });

  it('shows disabled models as disabled and models without a key as such', async () => {
    renderWithProviders(<AgentForm agent={agent} otherKeys={new Set()} models={models} tools={tools} onChange={vi.fn()} />);
    await userEvent.click(screen.getByRole('combobox', { name: /model/i }));
    const listbox = await screen.findByRole('listbox');
    expect(within(listbox).getByTestId('model-option-claude')).toHaveAttribute('aria-disabled', 'true');
    expect(within(listbox).getByTestId('model-option-gpt-4o')).toHaveTextContent('no API key');
    expect(within(listbox).getByTestId('model-option-demo')).toHaveTextContent('Demo (offline)');
  });

  it("lists the group's default model first, marked as such", async () => {
    const withDefault = models.map((m) => ({ ...m, is_default: m.key === 'claude' }));
    renderWithProviders(<AgentForm agent={agent} otherKeys={new Set()} models={withDefault} tools={tools} onChange={vi.fn()} />);
    await userEvent.click(screen.getByRole('combobox', { name: /model/i }));
    const listbox = await screen.findByRole('listbox');
    const options = within(listbox).getAllByTestId(/^model-option-/);
    expect(options[0]).toHaveAttribute('data-testid', 'model-option-claude');
    expect(options[0]).toHaveTextContent('default');
    expect(within(listbox).getByTestId('model-option-demo')).not.toHaveTextContent('default');
  });

  it('renders a tool config form from its schema and validates it', async () => {
    const onChange = vi.fn();
    renderWithProviders(<AgentForm agent={agent} otherKeys={new Set()} models={models} tools={tools} onChange={onChange} />);
    const panel = screen.getByTestId('tool-http_request');
    expect(within(panel).getByText('Base URL is required')).toBeInTheDocument();
    expect(within(panel).getByLabelText('HTTP request API key')).toHaveAttribute('type', 'password');
    const timeout = within(panel).getByRole('textbox', { name: 'HTTP request Timeout' });
    await userEvent.type(timeout, '99');
    await userEvent.tab();
    expect(within(panel).getByText('Timeout must be at most 60')).toBeInTheDocument();
    await userEvent.type(within(panel).getByRole('textbox', { name: 'HTTP request Base URL' }), 'https://example.org');
    await userEvent.tab();
    expect(onChange).toHaveBeenLastCalledWith({ tools: [{ tool_id: 'http_request', config: { base_url: 'https://example.org' } }] });
  });

  it('adds only enabled tools', async () => {
    const onChange = vi.fn();
    renderWithProviders(<AgentForm agent={agent} otherKeys={new Set()} models={models} tools={tools} onChange={onChange} />);
    await userEvent.click(screen.getByRole('combobox', { name: /add a tool/i }));
    const listbox = await screen.findByRole('listbox');
    expect(within(listbox).getByTestId('tool-option-shell')).toHaveAttribute('aria-disabled', 'true');
    await userEvent.click(within(listbox).getByText('Web search'));
    expect(onChange).toHaveBeenCalledWith({ tools: [...agent.tools, { tool_id: 'search', config: {} }] });
  });

  it('disables everything when read only', () => {
    renderWithProviders(<AgentForm agent={agent} otherKeys={new Set()} models={models} tools={tools} onChange={vi.fn()} readOnly />);
    expect(screen.getByRole('textbox', { name: /role/i })).toBeDisabled();
  });
});

describe('TaskForm', () => {
  const d = toEditable(sampleDoc());
  const task = d.tasks[1];

  it('requires description and expected output', async () => {
    const onChange = vi.fn();
    renderWithProviders(<TaskForm task={task} agents={d.agents} otherTasks={[d.tasks[0]]} otherKeys={new Set(['researcher', 'research'])} tools={tools} onChange={onChange} />);
    await userEvent.clear(screen.getByRole('textbox', { name: /description/i }));
    await userEvent.tab();
    expect(screen.getByText('Description is required')).toBeInTheDocument();
    await userEvent.clear(screen.getByRole('textbox', { name: /expected output/i }));
    await userEvent.tab();
    expect(screen.getByText('Expected output is required')).toBeInTheDocument();
  });

  it('assigns an agent from the select', async () => {
    const onChange = vi.fn();
    renderWithProviders(<TaskForm task={task} agents={d.agents} otherTasks={[d.tasks[0]]} otherKeys={new Set()} tools={tools} onChange={onChange} />);
    await userEvent.click(screen.getByRole('combobox', { name: /^agent/i }));
    await userEvent.click(within(await screen.findByRole('listbox')).getByText('Researcher'));
    expect(onChange).toHaveBeenCalledWith({ agent: 'researcher' });
  });

  it('validates the JSON schema field when the output is JSON', async () => {
    const onChange = vi.fn();
    renderWithProviders(
      <TaskForm task={{ ...task, output_format: 'json' }} agents={d.agents} otherTasks={[]} otherKeys={new Set()} tools={tools} onChange={onChange} />,
    );
    const field = screen.getByRole('textbox', { name: /output json schema/i });
    await userEvent.type(field, '[[1');
    await userEvent.tab();
    expect(screen.getByText('Not valid JSON')).toBeInTheDocument();
    expect(onChange).not.toHaveBeenCalled();
  });

  it('sets and clears the output file', async () => {
    const onChange = vi.fn();
    const { unmount } = renderWithProviders(<TaskForm task={task} agents={d.agents} otherTasks={[]} otherKeys={new Set()} tools={tools} onChange={onChange} />);
    await userEvent.type(screen.getByRole('textbox', { name: /output file/i }), ' output/report.md ');
    await userEvent.tab();
    expect(onChange).toHaveBeenLastCalledWith({ output_file: 'output/report.md' });
    unmount();

    renderWithProviders(
      <TaskForm task={{ ...task, output_file: 'report.md' }} agents={d.agents} otherTasks={[]} otherKeys={new Set()} tools={tools} onChange={onChange} />,
    );
    await userEvent.clear(screen.getByRole('textbox', { name: /output file/i }));
    await userEvent.tab();
    expect(onChange).toHaveBeenLastCalledWith({ output_file: null });
  });
});

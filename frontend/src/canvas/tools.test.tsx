/**
 * The tool belt on the canvas: the picker (categories, search, references to MCP/OpenAPI
 * tools), the problem of a tool use whose API key the group lacks, and config forms rendered
 * from the schemas pydantic writes ($ref enums, optional fields, nested models, limits).
 */
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { renderWithProviders } from '../../test/render';
import { MockApi } from '../../test/mockApi';
import type { Connection, JsonSchema, McpServer, OpenApiSource, Tool, ToolRef } from '../api/types';
import ToolsTab from '../settings/ToolsTab';
import { toEditable } from './model';
import { localProblems, mergeProblems } from './problems';
import { defaultConfig, rangeHint, validateConfig } from './schema';
import SchemaForm from './SchemaForm';
import { sampleDoc } from './testDoc';
import { matchesQuery, missingKeys, parseSourceRef } from './toolCatalog';
import ToolsPicker from './ToolsPicker';

/** What pydantic writes for a web_search-like config: an enum by $ref, an optional URL, limits. */
const searchSchema: JsonSchema = {
  $defs: {
    SearchProvider: { enum: ['serper', 'tavily', 'brave', 'searxng'], title: 'SearchProvider', type: 'string' },
    Limits: {
      title: 'Limits',
      type: 'object',
      properties: {
        max_results: { default: 5, minimum: 1, maximum: 20, title: 'Max Results', type: 'integer' },
        timeout: { default: 10, exclusiveMinimum: 0, maximum: 60, title: 'Timeout', type: 'number', description: 'Seconds' },
      },
    },
  },
  additionalProperties: false,
  type: 'object',
  title: 'WebSearchConfig',
  properties: {
    provider: { $ref: '#/$defs/SearchProvider', default: 'serper', description: 'Who answers the search' },
    searxng_url: { anyOf: [{ type: 'string', format: 'uri', minLength: 1, maxLength: 2083 }, { type: 'null' }], default: null, title: 'SearXNG URL' },
    limits: { $ref: '#/$defs/Limits' },
    safe: { type: 'boolean', default: true, title: 'Safe search', description: 'Filter adult results' },
    formats: { type: 'array', items: { enum: ['news', 'images'], type: 'string' }, default: [], title: 'Formats' },
  },
};

function tool(id: string, over: Partial<Tool> = {}): Tool {
  return { id, name: id, category: 'utilities', description: '', enabled: true, config_schema: null, credentials: [], caution: null, ...over };
}

const webSearch = tool('web_search', {
  name: 'Web search',
  category: 'web',
  description: 'Search the public web',
  config_schema: searchSchema,
  credentials: [
    { provider: 'serper', configured: false },
    { provider: 'tavily', configured: true },
    { provider: 'brave', configured: false },
  ],
});
const python = tool('python', { name: 'Python', category: 'code', description: 'Run a short snippet', caution: 'Runs code on the worker host.' });
const catalog: Tool[] = [
  python,
  tool('file_read', { name: 'Read file', category: 'files', description: 'Read a text file from the run folder' }),
  webSearch,
  tool('current_datetime', { name: 'Current date and time', description: 'The date' }),
  tool('crm_sync', { name: 'CRM sync', category: 'crm' as Tool['category'], description: 'A category this build does not know' }),
];

/** The picker with its state, as the forms hold it. */
function Picker({ initial = [], tools = catalog, onChange }: { initial?: ToolRef[]; tools?: Tool[]; onChange?: (v: ToolRef[]) => void }) {
  const [value, setValue] = useState(initial);
  return (
    <ToolsPicker
      value={value}
      tools={tools}
      onChange={(v) => {
        setValue(v);
        onChange?.(v);
      }}
    />
  );
}

async function openPicker() {
  await userEvent.click(screen.getByRole('combobox', { name: /add a tool/i }));
  return screen.findByRole('listbox');
}

describe('the tool picker', () => {
  it('groups tools by category in the catalog order, unknown categories last', async () => {
    renderWithProviders(<Picker />);
    const listbox = await openPicker();
    const headings = [...listbox.querySelectorAll('.MuiAutocomplete-groupLabel')].map((h) => h.textContent);
    expect(headings).toEqual(['Web', 'Files', 'Code', 'Utilities', 'Crm']);
    expect(within(listbox).getByTestId('tool-option-python')).toHaveTextContent('Runs code on the worker host.');
    expect(within(listbox).getByTestId('tool-option-web_search')).not.toHaveTextContent('key added'); // Tavily's is
    expect(within(listbox).getByTestId('tool-option-file_read')).toHaveTextContent('Read a text file from the run folder');
  });

  it('searches names, ids and descriptions, and adds the pick with its defaults', async () => {
    const onChange = vi.fn();
    renderWithProviders(<Picker onChange={onChange} />);
    await userEvent.type(screen.getByRole('combobox', { name: /add a tool/i }), 'public web');
    const listbox = await screen.findByRole('listbox');
    expect(within(listbox).getAllByRole('option').map((o) => o.dataset.testid)).toEqual(['tool-option-web_search']);
    await userEvent.keyboard('{Enter}');
    expect(onChange).toHaveBeenLastCalledWith([{ tool_id: 'web_search', config: { provider: 'serper', safe: true, formats: [] } }]);
    expect(screen.getByTestId('tool-web_search')).toBeInTheDocument();
    expect(screen.getByRole('combobox', { name: /add a tool/i })).toHaveValue('');
    expect(matchesQuery(python, 'PYTHON snippet')).toBe(true);
    expect(matchesQuery(python, 'python web')).toBe(false);
  });

  it('adds an MCP or OpenAPI tool by its reference, and only a well-formed one', async () => {
    const onChange = vi.fn();
    renderWithProviders(<Picker onChange={onChange} />);
    const input = screen.getByRole('combobox', { name: /add a tool/i });
    await userEvent.type(input, 'mcp:github/create_issue');
    const option = await screen.findByTestId('tool-option-mcp:github/create_issue');
    expect(option).toHaveTextContent('Tool create_issue of the MCP server github');
    await userEvent.click(option);
    expect(onChange).toHaveBeenLastCalledWith([{ tool_id: 'mcp:github/create_issue', config: {} }]);
    const card = screen.getByTestId('tool-mcp:github/create_issue');
    expect(card).toHaveTextContent('MCP');
    expect(card).not.toHaveTextContent('unknown tool');

    await userEvent.type(input, 'openapi:billing');
    await userEvent.keyboard('{Enter}');
    expect(onChange).toHaveBeenLastCalledWith([
      { tool_id: 'mcp:github/create_issue', config: {} },
      { tool_id: 'openapi:billing', config: {} },
    ]);
    expect(screen.getByTestId('tool-openapi:billing')).toHaveTextContent('All tools of the OpenAPI document billing');

    await userEvent.type(input, 'mcp:two words');
    expect(await screen.findByText(/No tool matches/)).toBeInTheDocument();
    expect(parseSourceRef('mcp:a/b/c')).toBeNull();
    expect(parseSourceRef('ftp:x')).toBeNull();
    expect(parseSourceRef('openapi:billing/get_invoice')).toEqual({ kind: 'openapi', source: 'billing', tool: 'get_invoice' });
  });

  it('shows the caution and a missing key on the tool use, with a link to the API keys', () => {
    renderWithProviders(
      <Picker
        initial={[
          { tool_id: 'python', config: {} },
          { tool_id: 'web_search', config: { provider: 'brave' } },
        ]}
      />,
    );
    expect(screen.getByTestId('tool-python')).toHaveTextContent('Runs code on the worker host.');
    const card = screen.getByTestId('tool-web_search');
    expect(card).toHaveTextContent('Needs a Brave Search API key');
    expect(within(card).getByRole('link', { name: 'Settings › API keys' })).toHaveAttribute('href', '/settings/api-keys');
  });

  it('keeps working with dozens of tools', async () => {
    const many = Array.from({ length: 60 }, (_, i) => tool(`tool_${i}`, { name: `Tool ${i}`, category: i % 2 ? 'data' : 'web' }));
    renderWithProviders(<Picker tools={many} />);
    const listbox = await openPicker();
    expect(within(listbox).getAllByRole('option')).toHaveLength(60);
    await userEvent.type(screen.getByRole('combobox', { name: /add a tool/i }), 'tool_42');
    expect(within(await screen.findByRole('listbox')).getAllByRole('option')).toHaveLength(1);
  });
});

describe('a tool use without its API key', () => {
  it('needs the key of the provider its config chooses, or none for a keyless choice', () => {
    expect(missingKeys(webSearch, {})).toEqual(['serper']); // the default provider
    expect(missingKeys(webSearch, { provider: 'tavily' })).toEqual([]);
    expect(missingKeys(webSearch, { provider: 'searxng' })).toEqual([]);
    const noChooser = tool('maps', { credentials: [{ provider: 'serper', configured: false }] });
    expect(missingKeys(noChooser, {})).toEqual(['serper']);
    expect(missingKeys({ ...noChooser, credentials: [...noChooser.credentials, { provider: 'brave', configured: true }] }, {})).toEqual([]);
  });

  it('is a problem on the agent or task node that uses it, replacing the stale server one', () => {
    const doc = toEditable(sampleDoc());
    doc.agents[0].tools = [{ tool_id: 'web_search', config: {} }];
    doc.tasks[0].tools = [
      { tool_id: 'current_datetime', config: {} },
      { tool_id: 'web_search', config: { provider: 'brave' } },
    ];
    const found = localProblems(doc, undefined, catalog).filter((p) => p.code === 'missing_tool_key');
    expect(found.map((p) => [p.key, p.pointer, p.field])).toEqual([
      ['researcher', '/agents/0/tools/0', 'tools'],
      [doc.tasks[0].key, '/tasks/0/tools/1', 'tools'],
    ]);
    expect(found[0].message).toBe('Web search needs a Serper API key, which this group has not added');

    const server = [{ ...found[0], message: 'from the server' }];
    expect(mergeProblems(server, [], true)).toEqual([]); // the key was added, or the tool removed
    expect(mergeProblems(server, found, false).filter((p) => p.key === 'researcher').map((p) => p.message)).toEqual(['from the server']);
  });
});

describe('config forms from pydantic schemas', () => {
  function Form({ onChange }: { onChange: (v: Record<string, unknown>) => void }) {
    const [value, setValue] = useState<Record<string, unknown>>({});
    return (
      <SchemaForm
        schema={searchSchema}
        value={value}
        labelPrefix="Web search"
        onChange={(v) => {
          setValue(v);
          onChange(v);
        }}
      />
    );
  }

  it('renders a $ref enum as a select showing its default', async () => {
    const onChange = vi.fn();
    renderWithProviders(<Form onChange={onChange} />);
    const provider = screen.getByRole('combobox', { name: 'Provider' });
    expect(provider).toHaveTextContent('Default (serper)');
    expect(screen.getByText('Who answers the search')).toBeInTheDocument();
    await userEvent.click(provider);
    await userEvent.click(within(await screen.findByRole('listbox')).getByRole('option', { name: 'searxng' }));
    expect(onChange).toHaveBeenLastCalledWith({ provider: 'searxng' });
  });

  it('checks an optional URL and commits it trimmed', async () => {
    const onChange = vi.fn();
    renderWithProviders(<Form onChange={onChange} />);
    const url = screen.getByRole('textbox', { name: 'Web search SearXNG URL' });
    expect(url).toHaveAttribute('type', 'url');
    await userEvent.type(url, 'search.local');
    await userEvent.tab();
    expect(screen.getByText(/must be a full URL/)).toBeInTheDocument();
    expect(onChange).not.toHaveBeenCalled();
    await userEvent.clear(url);
    await userEvent.type(url, ' http://search.local:8080 ');
    await userEvent.tab();
    expect(onChange).toHaveBeenLastCalledWith({ searxng_url: 'http://search.local:8080' });
  });

  it('renders a nested model as a group of its fields, with limits and defaults', async () => {
    const onChange = vi.fn();
    renderWithProviders(<Form onChange={onChange} />);
    const group = screen.getByRole('group', { name: 'Limits' });
    const max = within(group).getByRole('textbox', { name: 'Web search Limits Max Results' });
    expect(max).toHaveAttribute('placeholder', '5');
    expect(within(group).getByText('1 to 20')).toBeInTheDocument();
    expect(within(group).getByText('Seconds · above 0, at most 60')).toBeInTheDocument();
    await userEvent.type(max, '50');
    await userEvent.tab();
    expect(within(group).getByText('Max Results must be at most 20')).toBeInTheDocument();
    await userEvent.clear(max);
    await userEvent.type(max, '8');
    await userEvent.tab();
    expect(onChange).toHaveBeenLastCalledWith({ limits: { max_results: 8 } });
    await userEvent.clear(max);
    await userEvent.tab();
    expect(onChange).toHaveBeenLastCalledWith({});
  });

  it('renders booleans with their description and a list of choices as a multiple select', async () => {
    const onChange = vi.fn();
    renderWithProviders(<Form onChange={onChange} />);
    expect(screen.getByRole('switch', { name: 'Web search Safe search' })).toBeChecked();
    expect(screen.getByText('Filter adult results')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('combobox', { name: 'Formats' }));
    await userEvent.click(within(await screen.findByRole('listbox')).getByRole('option', { name: 'news' }));
    expect(onChange).toHaveBeenLastCalledWith({ formats: ['news'] });
  });

  it('validates nested values, exclusive bounds and literal choices', () => {
    expect(validateConfig(searchSchema, { limits: { timeout: 0 } })).toEqual({ limits: 'Limits: Timeout must be above 0' });
    expect(validateConfig(searchSchema, { provider: 'bing' })).toEqual({ provider: 'Provider must be one of serper, tavily, brave, searxng' });
    expect(validateConfig(searchSchema, { formats: ['video'] })).toEqual({ formats: 'Formats: video is not one of news, images' });
    const literal: JsonSchema = { type: 'object', properties: { mode: { const: 'read', default: 'read', type: 'string' } } };
    expect(validateConfig(literal, { mode: 'write' })).toEqual({ mode: 'Mode must be one of read' });
    expect(defaultConfig(searchSchema)).toEqual({ provider: 'serper', safe: true, formats: [] });
    expect(rangeHint({ minimum: 1, maximum: 10_000_000 })).toBe('1 to 10,000,000');
    expect(rangeHint({ exclusiveMinimum: 0 })).toBe('above 0');
  });
});

describe('Settings › Tools', () => {
  const api = new MockApi();
  afterEach(() => vi.unstubAllGlobals());

  it('shows category, caution and the status of each key a tool may use', async () => {
    api.tools = catalog;
    api.install();
    renderWithProviders(<ToolsTab />);
    const row = await screen.findByTestId('tool-row-web_search');
    expect(row).toHaveTextContent('Web');
    expect(within(row).getByText('Serper: no key')).toBeInTheDocument();
    expect(within(row).getByText('Tavily: added')).toBeInTheDocument();
    expect(within(row).getByRole('link', { name: 'Add a key' })).toHaveAttribute('href', '/settings/api-keys');
    expect(screen.getByTestId('tool-row-python')).toHaveTextContent('Runs code on the worker host.');
    const names = screen.getAllByTestId(/^tool-row-/).map((r) => r.dataset.testid);
    expect(names).toEqual(['tool-row-web_search', 'tool-row-file_read', 'tool-row-python', 'tool-row-current_datetime', 'tool-row-crm_sync']);
  });
});

describe("the group's sources in the picker", () => {
  const api = new MockApi();
  const stamp = { created_at: '2025-01-01T00:00:00Z', updated_at: '2025-01-01T00:00:00Z' };
  const billing = {
    id: 'o1', name: 'billing', description: '', title: 'Billing', doc_version: '2', source_url: null, base_url: 'https://billing.example.com',
    auth: { type: 'none', location: null, name: null, has_secret: false }, enabled: true, timeout_s: 15, max_response_bytes: 100000, operation_count: 1, ...stamp,
  } satisfies OpenApiSource;
  const github = {
    id: 'm1', name: 'github', transport: 'streamable_http', command: null, args: [], cwd: null, url: 'https://mcp.example.com/mcp', env_names: [], header_names: [],
    connect_timeout_s: 10, call_timeout_s: 60, enabled: true, tool_count: 1, discovered_at: stamp.created_at, last_error: null, ...stamp,
  } satisfies McpServer;
  const sqlQuery = tool('sql_query', {
    name: 'SQL query',
    category: 'data',
    config_schema: { type: 'object', required: ['connection'], properties: { connection: { type: 'string', title: 'Connection', description: 'The name of one of the group\'s database connections.' } } },
  });
  const sales: Connection = { id: 'c1', name: 'sales', dialect: 'sqlite', url: 'sqlite:////srv/sales.db', has_password: false, description: '', ...stamp };

  beforeEach(() => {
    api.sources['/openapi-sources'] = [billing, { ...billing, id: 'o2', name: 'legacy', title: 'Legacy', enabled: false, operation_count: 0 }];
    api.openApiTools.set('o1', [
      { tool_id: 'openapi:billing/get_invoice', name: 'get_invoice', method: 'get', path: '/invoices/{id}', summary: 'Get an invoice', description: '', parameters: [], body_schema: null, body_required: false },
    ]);
    api.sources['/mcp-servers'] = [github];
    api.mcpTools.set('m1', { ok: true, error: null, discovered_at: stamp.created_at, tools: [{ name: 'create_issue', description: 'Open an issue', input_schema: {} }] });
    api.sources['/connections'] = [];
    api.install();
  });
  afterEach(() => vi.unstubAllGlobals());

  it('lists OpenAPI documents and their operations under Integrations, MCP servers and their tools under MCP', async () => {
    const onChange = vi.fn();
    renderWithProviders(<Picker onChange={onChange} />);
    await userEvent.click(screen.getByRole('combobox', { name: /add a tool/i }));
    const listbox = await screen.findByRole('listbox');
    await within(listbox).findByTestId('tool-option-mcp:github/create_issue');
    const headings = [...listbox.querySelectorAll('.MuiAutocomplete-groupLabel')].map((h) => h.textContent);
    expect(headings).toEqual(['Web', 'Files', 'Code', 'Utilities', 'Integrations', 'MCP', 'Crm']);
    expect(within(listbox).getByTestId('tool-option-openapi:billing')).toHaveTextContent('billing: all 1 operation');
    expect(within(listbox).getByTestId('tool-option-openapi:billing/get_invoice')).toHaveTextContent('GET /invoices/{id} · Get an invoice');
    expect(within(listbox).getByTestId('tool-option-openapi:legacy')).toHaveAttribute('aria-disabled', 'true');
    expect(within(listbox).getByTestId('tool-option-mcp:github')).toHaveTextContent('github: all tools (1 tool)');
    await userEvent.click(within(listbox).getByTestId('tool-option-openapi:billing/get_invoice'));
    expect(onChange).toHaveBeenLastCalledWith([{ tool_id: 'openapi:billing/get_invoice', config: {} }]);
    expect(screen.getByTestId('tool-openapi:billing/get_invoice')).toHaveTextContent('Tool get_invoice of the OpenAPI document billing: GET /invoices/{id}');

    await userEvent.type(screen.getByRole('combobox', { name: /add a tool/i }), 'open issue');
    const found = await screen.findByRole('listbox');
    expect(within(found).getAllByRole('option').map((o) => o.dataset.testid)).toEqual(['tool-option-mcp:github/create_issue']);
    await userEvent.keyboard('{Enter}');
    expect(onChange).toHaveBeenLastCalledWith([
      { tool_id: 'openapi:billing/get_invoice', config: {} },
      { tool_id: 'mcp:github/create_issue', config: {} },
    ]);
    // A listed reference is not offered a second time as typed text.
    await userEvent.type(screen.getByRole('combobox', { name: /add a tool/i }), 'mcp:github');
    expect(within(await screen.findByRole('listbox')).getAllByRole('option').map((o) => o.dataset.testid)).toEqual(['tool-option-mcp:github']);
  });

  it("offers the group's connections for sql_query's connection, or a link to add one", async () => {
    const onChange = vi.fn();
    const { unmount } = renderWithProviders(<Picker tools={[sqlQuery]} initial={[{ tool_id: 'sql_query', config: {} }]} onChange={onChange} />);
    const card = screen.getByTestId('tool-sql_query');
    expect(await within(card).findByText(/This group has no database connections yet/)).toBeInTheDocument();
    expect(within(card).getByRole('link', { name: 'Settings › Connections' })).toHaveAttribute('href', '/settings/connections');
    unmount();

    api.sources['/connections'] = [sales, { ...sales, id: 'c2', name: 'warehouse' }];
    renderWithProviders(<Picker tools={[sqlQuery]} initial={[{ tool_id: 'sql_query', config: { connection: 'gone' } }]} onChange={onChange} />);
    const select = screen.getByRole('combobox', { name: /^Connection/ });
    expect(await screen.findByText('This group has no database connection named gone')).toBeInTheDocument();
    await userEvent.click(select);
    const options = within(await screen.findByRole('listbox')).getAllByRole('option').map((o) => o.textContent);
    expect(options).toEqual(['gone', 'sales', 'warehouse']);
    await userEvent.click(screen.getByRole('option', { name: 'warehouse' }));
    expect(onChange).toHaveBeenLastCalledWith([{ tool_id: 'sql_query', config: { connection: 'warehouse' } }]);
  });
});

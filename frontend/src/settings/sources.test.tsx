/**
 * Settings › Connections, OpenAPI tools and MCP servers against the in-memory API: list, add,
 * edit without retyping a secret, server errors on the fields they concern, and test results.
 */
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MockApi } from '../../test/mockApi';
import { renderWithProviders } from '../../test/render';
import { ApiError } from '../api/client';
import { useSession } from '../auth/session';
import type { Connection, McpServer, OpenApiSource } from '../api/types';
import ConnectionsTab from './ConnectionsTab';
import McpTab from './McpTab';
import OpenApiTab from './OpenApiTab';
import { connectionUpdate, mcpUpdate, openApiUpdate } from './requests';
import { formErrors } from './serverErrors';
import { validateConnectionForm, validateMcpForm } from './validation';

const error = (status: number, code: string, message: string, details: unknown[] = []) =>
  new Response(JSON.stringify({ error: { code, message, details } }), { status, headers: { 'Content-Type': 'application/json' } });

const stamp = { created_at: '2025-01-01T00:00:00Z', updated_at: '2025-01-01T00:00:00Z' };
const sales: Connection = { id: 'c1', name: 'sales', dialect: 'postgresql', url: 'postgresql://reader:***@db:5432/sales', has_password: true, description: 'Orders', ...stamp };
const billing: OpenApiSource = {
  id: 'o1',
  name: 'billing',
  description: '',
  title: 'Billing',
  doc_version: '2',
  source_url: null,
  base_url: 'https://billing.example.com',
  auth: { type: 'api_key', location: 'header', name: 'X-Api-Key', has_secret: true },
  enabled: true,
  timeout_s: 15,
  max_response_bytes: 100000,
  operation_count: 1,
  ...stamp,
};
const files: McpServer = {
  id: 'm1',
  name: 'files',
  transport: 'stdio',
  command: 'npx',
  args: ['-y', 'server-files'],
  cwd: null,
  url: null,
  env_names: ['TOKEN'],
  header_names: [],
  connect_timeout_s: 10,
  call_timeout_s: 60,
  enabled: true,
  tool_count: null,
  discovered_at: null,
  last_error: null,
  ...stamp,
};

let api: MockApi;
beforeEach(() => {
  api = new MockApi();
  api.install();
  // Signed in, in the user's personal group: an admin there.
  const user = { id: 'u1', email: 'ada@example.org', name: 'Ada', is_admin: false, is_active: true, personal_group_id: 'g1', created_at: stamp.created_at };
  useSession.setState({ status: 'signedIn', user, groupId: 'g1' });
});
afterEach(() => vi.unstubAllGlobals());

const lastRequest = (method: string, path: string) => [...api.requests].reverse().find((r) => r.method === method && r.path === path);

describe('server errors on form fields', () => {
  it('places 422 details by loc or field, a mapped code on its field, and the rest on the form', () => {
    const invalid = new ApiError(422, 'validation_error', 'Invalid input', [
      { loc: ['body', 'auth', 'secret'], message: 'too long' },
      { loc: ['body'], message: 'send either `document` or `url`' },
    ]);
    expect(formErrors(invalid, ['secret', 'url'])).toEqual({ fields: { secret: 'too long' }, form: 'Invalid input: send either `document` or `url`' });
    const rule = new ApiError(422, 'mcp_stdio_not_allowed', 'Not allowed: add it to KASAL_MCP_STDIO_COMMANDS', [{ field: 'command' } as never]);
    expect(formErrors(rule, ['command'])).toEqual({ fields: { command: 'Not allowed: add it to KASAL_MCP_STDIO_COMMANDS' }, form: null });
    expect(formErrors(new ApiError(409, 'taken', 'Taken'), ['name'], { taken: 'name' })).toEqual({ fields: { name: 'Taken' }, form: null });
    expect(formErrors(new Error('offline'), ['name'])).toEqual({ fields: {}, form: 'offline' });
  });
});

describe('Settings › Connections', () => {
  it('lists connections masked, and tests one: the version, or the reason in plain words', async () => {
    api.sources['/connections'] = [sales];
    renderWithProviders(<ConnectionsTab />);
    const row = await screen.findByTestId('connection-row-sales');
    expect(row).toHaveTextContent('postgresql://reader:***@db:5432/sales');
    expect(row).toHaveTextContent('stored');
    await userEvent.click(within(row).getByRole('button', { name: 'Test sales' }));
    expect(await within(row).findByRole('status')).toHaveTextContent('Connected: SQLite 3.46.1 (3 ms)');
    api.connectionCheck = { ok: false, server_version: null, error: 'Cannot connect to the database: connection refused', elapsed_ms: 5 };
    await userEvent.click(within(row).getByRole('button', { name: 'Test sales' }));
    await waitFor(() => expect(within(row).getByRole('status')).toHaveTextContent('Could not connect: Cannot connect to the database: connection refused'));
  });

  it('adds a connection, showing a taken name and a refused URL on their fields', async () => {
    renderWithProviders(<ConnectionsTab />);
    await userEvent.click(await screen.findByRole('button', { name: 'Add connection' }));
    const dialog = screen.getByRole('dialog', { name: 'Add a database connection' });
    await userEvent.click(within(dialog).getByRole('button', { name: 'Add connection' }));
    expect(within(dialog).getByText('Give the connection a name')).toBeInTheDocument();
    await userEvent.type(within(dialog).getByRole('textbox', { name: 'Name' }), 'shop');
    await userEvent.type(within(dialog).getByRole('textbox', { name: 'URL' }), 'sqlite:///shop.db');
    expect(within(dialog).getByLabelText('Password')).toHaveAttribute('type', 'password');
    api.overrides.set('POST /connections', error(409, 'connection_name_taken', "A database connection named 'shop' already exists"));
    await userEvent.click(within(dialog).getByRole('button', { name: 'Add connection' }));
    expect(await within(dialog).findByText("A database connection named 'shop' already exists")).toBeInTheDocument();
    api.overrides.set('POST /connections', error(422, 'invalid_connection_url', 'A SQLite path must be absolute: sqlite:////path/to/file.db'));
    await userEvent.click(within(dialog).getByRole('button', { name: 'Add connection' }));
    expect(await within(dialog).findByText('A SQLite path must be absolute: sqlite:////path/to/file.db')).toBeInTheDocument();
    await userEvent.click(within(dialog).getByRole('button', { name: 'Add connection' }));
    expect(await screen.findByTestId('connection-row-shop')).toHaveTextContent('sqlite');
    expect(lastRequest('POST', '/connections')?.body).toEqual({ name: 'shop', url: 'sqlite:///shop.db', description: '' });
  });

  it('edits without retyping the password: only the changed fields are sent', async () => {
    api.sources['/connections'] = [sales];
    renderWithProviders(<ConnectionsTab />);
    await userEvent.click(await screen.findByRole('button', { name: 'Edit sales' }));
    const dialog = screen.getByRole('dialog', { name: 'Edit "sales"' });
    expect(within(dialog).getByRole('textbox', { name: 'URL' })).toHaveValue('postgresql://reader:***@db:5432/sales');
    expect(within(dialog).getByText(/A password is stored/)).toBeInTheDocument();
    await userEvent.type(within(dialog).getByRole('textbox', { name: 'Description' }), ' and refunds');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(lastRequest('PATCH', '/connections/c1')?.body).toEqual({ description: 'Orders and refunds' });
  });

  it('deletes after a confirmation', async () => {
    api.sources['/connections'] = [sales];
    renderWithProviders(<ConnectionsTab />);
    await userEvent.click(await screen.findByRole('button', { name: 'Delete sales' }));
    await userEvent.click(within(screen.getByRole('dialog', { name: 'Delete connection?' })).getByRole('button', { name: 'Delete' }));
    expect(await screen.findByText(/No connections yet/)).toBeInTheDocument();
  });

  it('checks names and URLs before sending, and sends a new password only when typed', () => {
    expect(validateConnectionForm({ name: 'Sales DB', url: 'localhost', password: '', description: '' })).toEqual({
      name: 'Lowercase letters, digits, _ and - only, starting with a letter or digit',
      url: 'A URL like postgresql://user@host:5432/db or sqlite:////absolute/path.db',
    });
    expect(connectionUpdate(sales, { name: 'sales', url: sales.url, password: 'new', description: 'Orders' })).toEqual({ password: 'new' });
    expect(connectionUpdate(sales, { name: 'sales', url: 'postgresql://reader:***@db2/sales', password: '', description: 'Orders' })).toEqual({ url: 'postgresql://reader:***@db2/sales' });
  });
});

describe('Settings › OpenAPI tools', () => {
  it('registers a pasted document with an API key, showing what the server refused on the document', async () => {
    renderWithProviders(<OpenApiTab />);
    await userEvent.click(await screen.findByRole('button', { name: 'Register a document' }));
    const dialog = screen.getByRole('dialog', { name: 'Register an OpenAPI document' });
    await userEvent.type(within(dialog).getByRole('textbox', { name: 'Name' }), 'pets');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Paste or upload' }));
    const document = within(dialog).getByRole('textbox', { name: 'OpenAPI document' });
    await userEvent.upload(within(dialog).getByLabelText('Document file'), new File(['swagger: "2.0"'], 'pets.yaml', { type: 'text/yaml' }));
    await waitFor(() => expect(document).toHaveValue('swagger: "2.0"'));
    await userEvent.click(within(dialog).getByRole('combobox', { name: 'Authentication' }));
    await userEvent.click(within(await screen.findByRole('listbox')).getByRole('option', { name: 'API key' }));
    await userEvent.click(within(dialog).getByRole('button', { name: 'Register' }));
    expect(within(dialog).getByText('The header that carries the key')).toBeInTheDocument();
    expect(within(dialog).getByText('The API key is required')).toBeInTheDocument();
    await userEvent.type(within(dialog).getByRole('textbox', { name: 'Header name' }), 'X-Api-Key');
    await userEvent.type(within(dialog).getByLabelText(/^API key/), 'secret-123');
    api.overrides.set('POST /openapi-sources', error(422, 'openapi_document_invalid', 'Swagger 2.0 is not supported: convert it to OpenAPI 3 first', [{ pointer: '/swagger', message: 'Swagger 2.0' }]));
    await userEvent.click(within(dialog).getByRole('button', { name: 'Register' }));
    await waitFor(() => expect(document).toHaveAccessibleDescription('Swagger 2.0 is not supported: convert it to OpenAPI 3 first: Swagger 2.0'));
    expect(within(dialog).queryByRole('alert')).toBeNull();
    await userEvent.clear(document);
    await userEvent.type(document, 'openapi: 3.1.0');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Register' }));
    expect(await screen.findByTestId('openapi-row-pets')).toBeInTheDocument();
    expect(lastRequest('POST', '/openapi-sources')?.body).toMatchObject({
      name: 'pets',
      document: 'openapi: 3.1.0',
      auth: { type: 'api_key', location: 'header', name: 'X-Api-Key', secret: 'secret-123' },
      enabled: true,
    });
  });

  it('shows the operations a document gives, and switches it off', async () => {
    api.sources['/openapi-sources'] = [billing];
    api.openApiTools.set('o1', [
      { tool_id: 'openapi:billing/get_invoice', name: 'get_invoice', method: 'get', path: '/invoices/{id}', summary: 'Get an invoice', description: '', parameters: [], body_schema: null, body_required: false },
    ]);
    renderWithProviders(<OpenApiTab />);
    const row = await screen.findByTestId('openapi-row-billing');
    expect(row).toHaveTextContent('API key in header X-Api-Key');
    await userEvent.click(within(row).getByRole('button', { name: '1 tool' }));
    const op = await screen.findByTestId('operation-openapi:billing/get_invoice');
    expect(op).toHaveTextContent('GET');
    expect(op).toHaveTextContent('/invoices/{id}');
    expect(op).toHaveTextContent('Get an invoice');
    await userEvent.click(within(row).getByRole('switch', { name: 'Disable billing' }));
    await waitFor(() => expect(lastRequest('PATCH', '/openapi-sources/o1')?.body).toEqual({ enabled: false }));
  });

  it('keeps the stored secret and the document when an edit leaves them', () => {
    const same = { name: 'billing', description: '', mode: 'keep' as const, url: '', document: '', base_url: billing.base_url, auth_type: 'api_key' as const, location: 'header' as const, key_name: 'X-Api-Key', secret: '', enabled: true };
    expect(openApiUpdate(billing, { ...same, description: 'Invoices' })).toEqual({ description: 'Invoices' });
    expect(openApiUpdate(billing, { ...same, location: 'query', key_name: 'key' })).toEqual({ auth: { type: 'api_key', location: 'query', name: 'key' } });
    expect(openApiUpdate(billing, { ...same, mode: 'url', url: 'https://billing.example.com/openapi.json' })).toEqual({ url: 'https://billing.example.com/openapi.json' });
  });
});

describe('Settings › MCP servers', () => {
  it('adds a stdio server with an env value; a command the operator does not allow shows on the command', async () => {
    renderWithProviders(<McpTab />);
    await userEvent.click(await screen.findByRole('button', { name: 'Add MCP server' }));
    const dialog = screen.getByRole('dialog', { name: 'Add an MCP server' });
    await userEvent.type(within(dialog).getByRole('textbox', { name: 'Name' }), 'github');
    await userEvent.click(within(dialog).getByRole('combobox', { name: 'Transport' }));
    await userEvent.click(within(await screen.findByRole('listbox')).getByRole('option', { name: /stdio/ }));
    await userEvent.type(within(dialog).getByRole('textbox', { name: 'Command' }), 'npx');
    await userEvent.type(within(dialog).getByRole('textbox', { name: 'Arguments' }), '-y{Enter}@modelcontextprotocol/server-github');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Add environment variable' }));
    await userEvent.type(within(dialog).getByRole('textbox', { name: 'Environment variable name' }), 'GITHUB_TOKEN');
    await userEvent.type(within(dialog).getByLabelText('Environment variable value'), 'ghp_secret');
    const refusal = "A stdio MCP server runs its command on the Kasal host, and 'npx' is not allowed (allowed: none).";
    api.overrides.set('POST /mcp-servers', error(422, 'mcp_stdio_not_allowed', refusal, [{ field: 'command' }]));
    await userEvent.click(within(dialog).getByRole('button', { name: 'Add server' }));
    expect(await within(dialog).findByText(refusal)).toBeInTheDocument();
    await userEvent.click(within(dialog).getByRole('button', { name: 'Add server' }));
    expect(await screen.findByTestId('mcp-row-github')).toHaveTextContent('Not tested');
    expect(lastRequest('POST', '/mcp-servers')?.body).toMatchObject({
      name: 'github',
      transport: 'stdio',
      command: 'npx',
      args: ['-y', '@modelcontextprotocol/server-github'],
      env: { GITHUB_TOKEN: 'ghp_secret' },
    });
  });

  it('tests a server: the tools it offers, or why it cannot be reached', async () => {
    api.sources['/mcp-servers'] = [files];
    renderWithProviders(<McpTab />);
    const row = await screen.findByTestId('mcp-row-files');
    expect(row).toHaveTextContent('npx -y server-files');
    expect(row).toHaveTextContent('Set: TOKEN');
    api.mcpTools.set('m1', { ok: true, error: null, discovered_at: '2025-01-02T00:00:00Z', tools: [{ name: 'read_file', description: 'Read a file', input_schema: {} }] });
    await userEvent.click(within(row).getByRole('button', { name: 'Test files' }));
    const found = await screen.findByTestId('mcp-tools-files');
    expect(within(found).getByRole('table', { name: 'Tools of files' })).toHaveTextContent('read_file');
    expect(found).toHaveTextContent('Read a file');
    api.mcpTools.set('m1', { ok: false, error: 'The server files cannot be started: command not found', discovered_at: '2025-01-02T00:00:00Z', tools: [] });
    await userEvent.click(within(row).getByRole('button', { name: 'Test files' }));
    expect(await within(found).findByRole('alert')).toHaveTextContent('cannot be started: command not found');
  });

  it('edits env values as a merge: a removed one is null, an untouched one is not sent', async () => {
    api.sources['/mcp-servers'] = [files];
    renderWithProviders(<McpTab />);
    await userEvent.click(await screen.findByRole('button', { name: 'Edit files' }));
    const dialog = screen.getByRole('dialog', { name: 'Edit "files"' });
    expect(within(dialog).getByRole('textbox', { name: 'Environment variable name' })).toHaveValue('TOKEN');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Remove TOKEN' }));
    await userEvent.click(within(dialog).getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(lastRequest('PATCH', '/mcp-servers/m1')?.body).toEqual({ env: { TOKEN: null } }));
    const values = { name: 'files', transport: 'stdio' as const, command: 'npx', args: '-y\nserver-files', cwd: '', env: [{ name: 'TOKEN', value: '', stored: true, removed: false }], url: '', headers: [], enabled: true };
    expect(mcpUpdate(files, values)).toEqual({});
    expect(mcpUpdate(files, { ...values, env: [{ ...values.env[0], value: 'new' }] })).toEqual({ env: { TOKEN: 'new' } });
    expect(validateMcpForm({ ...values, transport: 'sse', url: 'ftp://x' })).toEqual({ url: 'Use an http(s) URL' });
  });
});

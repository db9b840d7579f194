/** Settings › Webhooks against the in-memory API: the reason a webhook was disabled, its
 * delivery log, a refused URL on its field, and a generated secret shown once. */
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MockApi } from '../../test/mockApi';
import { renderWithProviders } from '../../test/render';
import type { Webhook, WebhookDelivery } from '../api/types';
import { useSession } from '../auth/session';
import WebhooksTab from './WebhooksTab';

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
const page = (items: unknown[]) => json(200, { items, next_cursor: null });
const stamp = { created_at: '2025-01-01T00:00:00Z', updated_at: '2025-01-01T00:00:00Z' };

const ci: Webhook = {
  id: 'w1',
  url: 'https://ci.example.com/hook',
  events: ['execution.succeeded', 'execution.failed'],
  description: 'Tell CI',
  enabled: false,
  disabled_reason: 'Disabled on 2025-01-01T10:00:00+00:00 after 10 failed deliveries in a row; the last: HTTP 500',
  consecutive_failures: 10,
  ...stamp,
};
const failed: WebhookDelivery = {
  id: 'd1',
  event: 'execution.failed',
  execution_id: 'e1',
  status: 'pending',
  attempts: 2,
  next_attempt_at: '2025-01-01T10:01:00Z',
  last_status_code: 500,
  last_error: 'HTTP 500 Internal Server Error',
  created_at: stamp.created_at,
  delivered_at: null,
};

let api: MockApi;
beforeEach(() => {
  api = new MockApi();
  api.install();
  const user = { id: 'u1', email: 'ada@example.org', name: 'Ada', is_admin: false, is_active: true, personal_group_id: 'g1', created_at: stamp.created_at };
  useSession.setState({ status: 'signedIn', user, groupId: 'g1' });
});
afterEach(() => vi.unstubAllGlobals());

describe('Settings › Webhooks', () => {
  it('shows why a webhook was disabled, and its deliveries', async () => {
    api.overrides.set('GET /webhooks', page([ci]));
    api.overrides.set('GET /webhooks/w1/deliveries', page([failed]));
    renderWithProviders(<WebhooksTab />);
    const row = await screen.findByTestId('webhook-row');
    expect(within(row).getByRole('status')).toHaveTextContent('after 10 failed deliveries in a row');
    expect(within(row).getByRole('switch', { name: `Enable ${ci.url}` })).not.toBeChecked();
    await userEvent.click(within(row).getByRole('button', { name: `Deliveries of ${ci.url}` }));
    const delivery = await screen.findByTestId('delivery-pending');
    expect(delivery).toHaveTextContent('HTTP 500 Internal Server Error');
    expect(delivery).toHaveTextContent('next try');
  });

  it('puts a refused URL on its field, and shows a generated secret once', async () => {
    api.overrides.set('GET /webhooks', page([]));
    renderWithProviders(<WebhooksTab />);
    await userEvent.click(await screen.findByRole('button', { name: 'Add webhook' }));
    const dialog = screen.getByRole('dialog', { name: 'Add a webhook' });
    const url = within(dialog).getByRole('textbox', { name: 'URL' });
    await userEvent.clear(url);
    await userEvent.click(url);
    await userEvent.paste('http://127.0.0.1/hook');
    const refused = "Webhooks cannot be sent there: Refused: '127.0.0.1' resolves to 127.0.0.1, a loopback address.";
    api.overrides.set('POST /webhooks', json(422, { error: { code: 'webhook_url_refused', message: refused, details: [] } }));
    await userEvent.click(within(dialog).getByRole('button', { name: 'Add webhook' }));
    expect(await within(dialog).findByText(refused)).toBeInTheDocument();
    expect([...api.requests].reverse().find((r) => r.method === 'POST')?.body).toEqual({
      url: 'http://127.0.0.1/hook',
      events: ['execution.succeeded', 'execution.failed'],
      description: '',
    });

    api.overrides.set('POST /webhooks', json(201, { ...ci, enabled: true, disabled_reason: null, secret: 'whsec_generated' }));
    api.overrides.set('GET /webhooks', page([{ ...ci, enabled: true, disabled_reason: null }]));
    await userEvent.click(within(dialog).getByRole('button', { name: 'Add webhook' }));
    expect(await screen.findByTestId('new-webhook-secret')).toHaveValue('whsec_generated');
  });
});

/** The crew's schedules and triggers against the in-memory API: next and last runs, a new
 * trigger's secret shown once, a schedule added with its inputs. */
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MockApi } from '../../test/mockApi';
import { renderWithProviders } from '../../test/render';
import type { Schedule, Trigger, TriggerCreated } from '../api/types';
import { useSession } from '../auth/session';
import AutomationDrawer from './AutomationDrawer';

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
const page = (items: unknown[]) => json(200, { items, next_cursor: null });
const stamp = { created_at: '2025-01-01T00:00:00Z', updated_at: '2025-01-01T00:00:00Z' };

const brief: Schedule = {
  id: 's1',
  crew_id: 'crew-1',
  name: 'Morning brief',
  cron: '0 9 * * MON-FRI',
  timezone: 'Europe/Paris',
  inputs: { topic: 'tides' },
  enabled: true,
  missed: 'run_once',
  owner_id: 'u1',
  next_fire_times: ['2025-01-02T08:00:00Z'],
  last_fire: { id: 'f1', fire_at: '2025-01-01T08:00:00Z', outcome: 'skipped', execution_id: null, reason: 'Skipped: The crew needs values for: audience', created_at: stamp.created_at },
  ...stamp,
};
const ci: Trigger = { id: 't1', crew_id: 'crew-1', name: 'CI', token_hint: 'kasal_trg_ab12', owner_id: 'u1', fire_url: '/api/v1/triggers/t1/fire', revoked_at: null, last_fired_at: null, created_at: stamp.created_at };

let api: MockApi;
beforeEach(() => {
  api = new MockApi();
  api.install();
  const user = { id: 'u1', email: 'ada@example.org', name: 'Ada', is_admin: false, is_active: true, personal_group_id: 'g1', created_at: stamp.created_at };
  useSession.setState({ status: 'signedIn', user, groupId: 'g1' });
});
afterEach(() => vi.unstubAllGlobals());

describe('Crew automation', () => {
  it('shows schedules with their next and last fire, and a new trigger’s secret once', async () => {
    api.overrides.set('GET /schedules', page([brief]));
    api.overrides.set('GET /triggers', page([ci]));
    renderWithProviders(<AutomationDrawer open crewId="crew-1" canEdit onClose={() => {}} />);
    const row = await screen.findByTestId('schedule-Morning brief');
    expect(row).toHaveTextContent('0 9 * * MON-FRI');
    expect(row).toHaveTextContent('Skipped: The crew needs values for: audience');
    expect(await screen.findByTestId('trigger-CI')).toHaveTextContent('kasal_trg_ab12…');

    const created: TriggerCreated = { ...ci, id: 't2', name: 'Deploys', token: 'kasal_trg_secret-value' };
    api.overrides.set('POST /triggers', json(201, created));
    api.overrides.set('GET /triggers', page([ci, created]));
    await userEvent.click(screen.getByRole('textbox', { name: 'Trigger name' }));
    await userEvent.paste('Deploys');
    await userEvent.click(screen.getByRole('button', { name: 'Add trigger' }));
    expect(await screen.findByTestId('new-trigger-token')).toHaveValue('kasal_trg_secret-value');
    expect([...api.requests].reverse().find((r) => r.method === 'POST')?.body).toEqual({ crew_id: 'crew-1', name: 'Deploys' });
  });

  it('adds a schedule with its inputs read from lines', async () => {
    api.overrides.set('GET /schedules', page([]));
    api.overrides.set('GET /triggers', page([]));
    renderWithProviders(<AutomationDrawer open crewId="crew-1" canEdit onClose={() => {}} />);
    await userEvent.click(await screen.findByRole('button', { name: 'Add schedule' }));
    const dialog = screen.getByRole('dialog', { name: 'Add a schedule' });
    const fill = async (name: string, text: string) => {
      const field = within(dialog).getByRole('textbox', { name });
      await userEvent.clear(field);
      await userEvent.click(field);
      await userEvent.paste(text);
    };
    await fill('Name', 'Nightly');
    await fill('Time zone', 'UTC');
    await fill('Inputs', 'topic: tides\naudience: sailors');
    api.overrides.set('POST /schedules', json(201, { ...brief, id: 's2', name: 'Nightly' }));
    api.overrides.set('GET /schedules', page([{ ...brief, id: 's2', name: 'Nightly' }]));
    await userEvent.click(within(dialog).getByRole('button', { name: 'Add schedule' }));
    await waitFor(() => expect(screen.queryByRole('dialog', { name: 'Add a schedule' })).toBeNull());
    expect([...api.requests].reverse().find((r) => r.method === 'POST')?.body).toEqual({
      crew_id: 'crew-1',
      name: 'Nightly',
      cron: '0 9 * * MON-FRI',
      timezone: 'UTC',
      inputs: { topic: 'tides', audience: 'sailors' },
      missed: 'run_once',
      enabled: true,
    });
    expect(await screen.findByTestId('schedule-Nightly')).toBeInTheDocument();
  });
});

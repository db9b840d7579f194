/**
 * A run outlives its crew: once the crew is deleted the server answers `crew_id: null`, and the
 * execution page names the crew without linking to `/crews/null`.
 */
import { render, screen } from '@testing-library/react';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { Execution } from '../src/api/types';
import { MockApi } from './mockApi';

const mock = new MockApi();
const orphan: Execution = {
  id: 'exec-orphan',
  crew_id: null,
  crew_name: 'Deleted crew',
  crew_version: 2,
  status: 'succeeded',
  inputs: {},
  result: 'done',
  task_outputs: {},
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  cost: null,
  error: null,
  created_at: '2025-01-01T00:00:00Z',
  started_at: '2025-01-01T00:00:01Z',
  finished_at: '2025-01-01T00:00:02Z',
};

beforeAll(() => {
  mock.executions.set(orphan.id, orphan);
  mock.install();
  window.history.pushState({}, '', `/executions/${orphan.id}`);
});
afterAll(() => vi.unstubAllGlobals());

it('shows the run of a deleted crew without a link to the crew', async () => {
  const { default: App } = await import('../src/App');
  render(<App />);
  const heading = await screen.findByRole('heading', { name: /Deleted crew/ }, { timeout: 5000 });
  expect(heading.querySelector('a')).toBeNull();
  expect(document.querySelector('a[href="/crews/null"]')).toBeNull();
});

/**
 * The Knowledge page against the in-memory API: a base's files with their status, progress and
 * failure reason, and a question answered with the chunks' sources and scores.
 */
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MockApi } from '../../test/mockApi';
import { renderWithProviders } from '../../test/render';
import type { KnowledgeBase, KnowledgeFile, KnowledgeHit } from '../api/types';
import { useSession } from '../auth/session';
import KnowledgePage from './KnowledgePage';

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
const stamp = { created_at: '2025-01-01T00:00:00Z', updated_at: '2025-01-01T00:00:00Z' };
const base: KnowledgeBase = {
  id: 'kb1',
  name: 'Manuals',
  description: 'Product manuals',
  embedding_model: 'wordllama-l2-256',
  chunk_size: 1000,
  chunk_overlap: 150,
  files: { queued: 0, processing: 0, ready: 1, failed: 1 },
  ...stamp,
};
const file = (name: string, fields: Partial<KnowledgeFile>): KnowledgeFile => ({
  id: `f-${name}`,
  base_id: 'kb1',
  name,
  size: 2048,
  content_type: 'application/pdf',
  status: 'ready',
  error: null,
  chunks_done: 3,
  chunks_total: 3,
  ...stamp,
  ...fields,
});
const hit: KnowledgeHit = { text: 'The warranty lasts two years.', score: 0.83, file_id: 'f-manual.pdf', file_name: 'manual.pdf', page: 1, section: null, chunk: 0 };

let api: MockApi;
beforeEach(() => {
  api = new MockApi();
  api.install();
  const user = { id: 'u1', email: 'ada@example.org', name: 'Ada', is_admin: false, is_active: true, personal_group_id: 'g1', created_at: stamp.created_at };
  useSession.setState({ status: 'signedIn', user, groupId: 'g1' });
  api.knowledgeBases = [base];
  api.knowledgeFiles.set('kb1', [
    file('manual.pdf', {}),
    file('broken.pdf', { status: 'failed', error: "'broken.pdf' is not a readable PDF file", chunks_done: 0, chunks_total: null }),
  ]);
});
afterEach(() => vi.unstubAllGlobals());

describe('Knowledge page', () => {
  it('shows each file with its status, and why one failed', async () => {
    renderWithProviders(<KnowledgePage />);
    expect(await screen.findByRole('heading', { name: 'Manuals' })).toBeInTheDocument();
    expect(screen.getByText('1 file ready · 1 failed')).toBeInTheDocument();
    const ready = await screen.findByTestId('file-row-manual.pdf');
    expect(within(ready).getByText('ready')).toBeInTheDocument();
    expect(ready).toHaveTextContent('3 chunks');
    const failed = screen.getByTestId('file-row-broken.pdf');
    expect(within(failed).getByRole('status')).toHaveTextContent('not a readable PDF file');
  });

  it('answers a question with the chunks, their sources and scores', async () => {
    api.overrides.set('POST /knowledge/kb1/search', json(200, { hits: [hit] }));
    renderWithProviders(<KnowledgePage />);
    await userEvent.type(await screen.findByLabelText('Question'), 'How long is the warranty?');
    await userEvent.click(screen.getByRole('button', { name: 'Search' }));
    const found = await screen.findByTestId('search-hit');
    expect(found).toHaveTextContent('manual.pdf p. 1 (0.83)');
    expect(found).toHaveTextContent('The warranty lasts two years.');
    const sent = api.requests.find((r) => r.path === '/knowledge/kb1/search');
    expect(sent?.body).toEqual({ query: 'How long is the warranty?', k: 5 });
  });
});

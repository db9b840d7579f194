import type { KnowledgeFile } from '../api/types';

/** What a knowledge base takes (the server says the same in its error). */
export const ACCEPT = '.pdf,.docx,.md,.markdown,.txt,.html,.htm,.csv';

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** Whether ingestion is still to report on a file: the list is polled until none is. */
export const pending = (files: KnowledgeFile[] | undefined) => (files ?? []).some((f) => f.status === 'queued' || f.status === 'processing');

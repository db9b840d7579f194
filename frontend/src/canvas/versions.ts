/** Where the versions drawer finds a document's history: a crew's here, a flow's in flows/. */
import { crewsApi } from '../api/endpoints';
import { keys } from '../api/hooks';
import type { CrewDocument } from '../api/types';

/** A saved version as the list shows it. */
export interface VersionEntry {
  version: number;
  created_at: string;
  author_email?: string | null;
}

/** Where a versioned document's history lives: a crew's, a flow's. */
export interface VersionSource<D> {
  /** "crew", "flow": what the texts call the document. */
  what: string;
  queryKey: readonly unknown[];
  list: () => Promise<VersionEntry[]>;
  get: (n: number) => Promise<D>;
  restore: (n: number) => Promise<D & { version?: number }>;
  /** Lines that tell one version from another. */
  summary: (doc: D) => string[];
}

export function crewVersions(crewId: string): VersionSource<CrewDocument> {
  return {
    what: 'crew',
    queryKey: keys.versions(crewId),
    list: () => crewsApi.versions(crewId),
    get: (n) => crewsApi.version(crewId, n),
    restore: (n) => crewsApi.restore(crewId, n),
    summary: (doc) => [
      `${doc.name} · ${doc.process}`,
      `Agents: ${doc.agents.map((a) => a.role || a.key).join(', ') || 'none'}`,
      `Tasks: ${doc.tasks.map((t) => t.name || t.key).join(', ') || 'none'}`,
    ],
  };
}

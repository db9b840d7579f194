import type { CrewDocument } from '../api/types';

export function emptyCrew(name: string, description = ''): CrewDocument {
  return {
    name,
    description,
    process: 'sequential',
    manager_llm: null,
    planning: false,
    memory: 'off',
    embedder: null,
    max_rpm: null,
    verbose: false,
    agents: [],
    tasks: [],
    layout: { nodes: {}, viewport: { x: 0, y: 0, zoom: 1 } },
  };
}

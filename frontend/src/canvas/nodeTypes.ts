import { AgentNode, TaskNode } from './nodes';

/** Defined once, outside components, so React Flow does not re-create node renderers. */
export const nodeTypes = { agent: AgentNode, task: TaskNode };

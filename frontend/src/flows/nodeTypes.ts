import { StepNode } from './nodes';

/** Defined once, outside components, so React Flow does not re-create node renderers. */
export const stepNodeTypes = { crew: StepNode, router: StepNode, approval: StepNode };

import { act, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ReactFlowProvider } from '@xyflow/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { renderWithProviders } from '../../test/render';
import Canvas from './Canvas';
import { addAgent, connect } from './model';
import { keyProblems, localProblems } from './problems';
import { selectDoc, useEditor } from './store';
import { sampleDoc } from './testDoc';

function renderCanvas(props: Partial<Parameters<typeof Canvas>[0]> = {}) {
  return renderWithProviders(
    <ReactFlowProvider>
      <div style={{ width: 800, height: 600 }}>
        <Canvas readOnly={false} models={undefined} problems={[]} runStates={null} onDropItem={vi.fn()} onViewport={vi.fn()} {...props} />
      </div>
    </ReactFlowProvider>,
  );
}

describe('Canvas', () => {
  beforeEach(() => useEditor.getState().load(sampleDoc()));

  it('renders agent and task nodes with stable test ids', async () => {
    renderCanvas();
    expect(await screen.findByTestId('node-agent-researcher')).toHaveTextContent('Researcher');
    expect(screen.getByTestId('node-task-research')).toHaveTextContent('Research');
    expect(screen.getByTestId('node-task-write')).toBeInTheDocument();
  });

  it('shows run states as data-state', async () => {
    renderCanvas({ runStates: { researcher: 'running', research: 'done', write: 'queued' } });
    expect(await screen.findByTestId('node-agent-researcher')).toHaveAttribute('data-state', 'running');
    expect(screen.getByTestId('node-task-research')).toHaveAttribute('data-state', 'done');
    expect(screen.getByTestId('node-task-write')).toHaveAttribute('data-state', 'queued');
  });

  it('shows problems on the node a pointer names', async () => {
    const doc = selectDoc(useEditor.getState());
    const problems = keyProblems(doc, sampleDoc().problems);
    renderCanvas({ problems });
    const write = await screen.findByTestId('node-task-write');
    expect(write.querySelector('[data-testid="node-problems"]')).toHaveAttribute('aria-label', expect.stringContaining('Task has no agent'));
    expect(screen.getByTestId('node-task-research').querySelector('[data-testid="node-problems"]')).toBeNull();
  });

  it('shows a tool use without its API key on the node, with a link to add the key', async () => {
    const doc = selectDoc(useEditor.getState());
    const needsKey = { id: 'http_request', name: 'HTTP request', category: 'web' as const, description: '', enabled: true, config_schema: null, caution: null, credentials: [{ provider: 'serper', configured: false }] };
    renderCanvas({ problems: localProblems(doc, undefined, [needsKey]) });
    const badge = within(await screen.findByTestId('node-agent-researcher')).getByTestId('node-problems');
    expect(badge).toHaveAttribute('aria-label', expect.stringContaining('HTTP request needs a Serper API key'));
    await userEvent.hover(badge);
    expect(await screen.findByRole('link', { name: 'Settings › API keys' })).toHaveAttribute('href', '/settings/api-keys');
  });

  it('follows document edits and undo', async () => {
    renderCanvas();
    await screen.findByTestId('node-agent-researcher');
    act(() => useEditor.getState().apply((d) => connect(addAgent(d, { role: 'Writer' }).doc, 'agent-1', 'write')));
    expect(await screen.findByTestId('node-agent-agent-1')).toHaveTextContent('Writer');
    act(() => useEditor.getState().undo());
    expect(screen.queryByTestId('node-agent-agent-1')).toBeNull();
  });
});

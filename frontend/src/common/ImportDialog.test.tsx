/** The import dialog lists what the server refused: by file and line (crews) or by JSON pointer (flows). */
import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { renderWithProviders } from '../../test/render';
import { ApiError } from '../api/client';
import ImportDialog from './ImportDialog';

async function importRefused(details: ConstructorParameters<typeof ApiError>[3]) {
  const importFile = vi.fn(() => Promise.reject(new ApiError(422, 'import_invalid', 'The file cannot be imported: 2 problems.', details)));
  renderWithProviders(<ImportDialog open what="flow" hint="A file" importFile={importFile} onClose={vi.fn()} onImported={vi.fn()} />);
  await userEvent.upload(screen.getByLabelText('Flow file'), new File(['x: 1'], 'flow.yaml', { type: 'application/yaml' }));
  await userEvent.click(screen.getByRole('button', { name: 'Import' }));
  return screen.findByRole('alert');
}

describe('ImportDialog', () => {
  it("lists a flow import's problems at their JSON pointers", async () => {
    const alert = await importRefused([
      { pointer: '/methods/review/human_feedback', code: 'unsupported', message: 'A per-method LLM is not supported' },
      { pointer: '', code: 'not_text', message: 'The file is not UTF-8 text.' },
    ]);
    const items = alert.querySelectorAll('li');
    expect(items[0]).toHaveTextContent('/methods/review/human_feedback: A per-method LLM is not supported');
    expect(items[1]).toHaveTextContent(/^The file is not UTF-8 text\.$/);
  });

  it("lists a crew import's problems by file and line", async () => {
    const alert = await importRefused([
      { file: 'agents.yaml', line: 3, message: 'Unknown field' },
      { file: 'tasks.yaml', line: null, message: 'No tasks' },
    ]);
    const items = alert.querySelectorAll('li');
    expect(items[0]).toHaveTextContent('agents.yaml, line 3: Unknown field');
    expect(items[1]).toHaveTextContent(/^tasks.yaml: No tasks$/);
  });
});

import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { renderWithProviders } from '../../test/render';
import DefaultInputs from '../canvas/DefaultInputs';
import RunDialog from './RunDialog';

const dialog = (defaults: Record<string, string>, onStart = vi.fn()) => (
  <RunDialog
    open
    crewId="c1"
    inputs={['topic', 'audience']}
    defaults={defaults}
    busy={false}
    error={null}
    saveFirst={false}
    onCancel={vi.fn()}
    onStart={onStart}
  />
);

describe('RunDialog', () => {
  afterEach(() => localStorage.clear());

  it("prefills the crew's default inputs; a value this browser last ran with wins", async () => {
    localStorage.setItem('kasal.inputs.c1', JSON.stringify({ audience: 'kids' }));
    const onStart = vi.fn();
    renderWithProviders(dialog({ topic: 'tides', audience: 'adults' }, onStart));
    expect(screen.getByLabelText(/topic/)).toHaveValue('tides');
    expect(screen.getByLabelText(/audience/)).toHaveValue('kids');
    await userEvent.click(screen.getByRole('button', { name: 'Start run' }));
    expect(onStart).toHaveBeenCalledWith({ topic: 'tides', audience: 'kids' });
  });

  it('still asks for an input with no default', async () => {
    const onStart = vi.fn();
    renderWithProviders(dialog({ topic: 'tides' }, onStart));
    await userEvent.click(screen.getByRole('button', { name: 'Start run' }));
    expect(onStart).not.toHaveBeenCalled();
    expect(screen.getByText('A value for {audience} is required')).toBeInTheDocument();
  });
});

describe('DefaultInputs', () => {
  it('sets a default per input and clears it when emptied, keeping the others', async () => {
    const onChange = vi.fn();
    const { rerender } = renderWithProviders(
      <DefaultInputs inputs={['topic']} defaults={{ old: 'kept' }} onChange={onChange} />,
    );
    await userEvent.type(screen.getByLabelText('{topic}'), 'tides');
    await userEvent.tab();
    expect(onChange).toHaveBeenLastCalledWith({ old: 'kept', topic: 'tides' });
    rerender(<DefaultInputs inputs={['topic']} defaults={{ old: 'kept', topic: 'tides' }} onChange={onChange} />);
    await userEvent.clear(screen.getByLabelText('{topic}'));
    await userEvent.tab();
    expect(onChange).toHaveBeenLastCalledWith({ old: 'kept' });
  });
});

import { describe, expect, it } from 'vitest';
import { inputsToText, textToInputs } from './inputs';

describe('run inputs as lines', () => {
  it('reads what it writes', () => {
    const inputs = { topic: 'tides: spring and neap', audience: 'sailors' };
    expect(textToInputs(inputsToText(inputs))).toEqual({ inputs });
  });

  it('ignores blank lines and refuses lines without a name or names given twice', () => {
    expect(textToInputs('\n topic : tides \n\n')).toEqual({ inputs: { topic: 'tides' } });
    expect(textToInputs('just a value')).toEqual({ error: 'Line 1: write it as name: value' });
    expect(textToInputs(': value')).toEqual({ error: 'Line 1: write it as name: value' });
    expect(textToInputs('a: 1\na: 2')).toEqual({ error: 'a is given twice' });
  });
});

/** A run's inputs as a form edits them: one `name: value` per line. */
export function inputsToText(inputs: Record<string, string>): string {
  return Object.entries(inputs)
    .map(([name, value]) => `${name}: ${value}`)
    .join('\n');
}

/** The inputs written as lines, or why they cannot be read. */
export function textToInputs(text: string): { inputs: Record<string, string> } | { error: string } {
  const inputs: Record<string, string> = {};
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  for (const [index, line] of lines.entries()) {
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trim() : '';
    if (!name) return { error: `Line ${index + 1}: write it as name: value` };
    if (name in inputs) return { error: `${name} is given twice` };
    inputs[name] = line.slice(colon + 1).trim();
  }
  return { inputs };
}

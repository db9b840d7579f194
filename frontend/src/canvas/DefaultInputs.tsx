import Box from '@mui/material/Box';
import Typography from '@mui/material/Typography';
import CommitTextField from '../common/CommitTextField';

interface Props {
  /** The crew's `{inputs}`, in first-seen order. */
  inputs: string[];
  defaults: Record<string, string>;
  onChange: (defaults: Record<string, string>) => void;
  readOnly?: boolean;
}

/**
 * A default value per input: what a run takes when it is not given one (the Run dialog shows it
 * prefilled; scripts may leave it out). Defaults of inputs no text uses any more are kept.
 */
export default function DefaultInputs({ inputs, defaults, onChange, readOnly }: Props) {
  if (inputs.length === 0) {
    return (
      <Typography variant="body2" color="text.secondary">
        None: add {'{placeholders}'} to texts.
      </Typography>
    );
  }
  const commit = (name: string, value: string) => {
    const { [name]: _old, ...rest } = defaults;
    onChange(value.trim() ? { ...rest, [name]: value } : rest);
  };
  return (
    <Box sx={{ display: 'flex', flexDirection: 'column', gap: 1 }}>
      {inputs.map((name) => (
        <CommitTextField
          key={name}
          size="small"
          label={`{${name}}`}
          placeholder="No default: asked at each run"
          value={defaults[name] ?? ''}
          onCommit={(value) => commit(name, value)}
          disabled={readOnly}
          multiline
          maxRows={4}
          helperText="Default value"
        />
      ))}
    </Box>
  );
}

import ContentCopy from '@mui/icons-material/ContentCopy';
import Alert from '@mui/material/Alert';
import IconButton from '@mui/material/IconButton';
import InputAdornment from '@mui/material/InputAdornment';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import type { ReactNode } from 'react';
import { notify } from './notify';

interface Props {
  /** What it is, e.g. "token" or "secret". */
  noun: string;
  label: string;
  value: string;
  testId?: string;
  children?: ReactNode;
}

/** A secret the server answers once (a token, a signing secret): shown read-only, with Copy. */
export default function ShownOnce({ noun, label, value, testId, children }: Props) {
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      notify(`${noun[0].toUpperCase()}${noun.slice(1)} copied`, 'success');
    } catch {
      notify(`Copy failed: select the ${noun} and copy it by hand`, 'warning');
    }
  };
  return (
    <Alert severity="success" sx={{ mb: 2 }}>
      <Typography variant="body2" gutterBottom>
        Copy the {noun} now: it will not be shown again.
      </Typography>
      <TextField
        value={value}
        fullWidth
        label={label}
        slotProps={{
          htmlInput: { readOnly: true, 'data-testid': testId },
          input: {
            endAdornment: (
              <InputAdornment position="end">
                <IconButton aria-label={`Copy ${noun}`} onClick={() => void copy()} edge="end">
                  <ContentCopy />
                </IconButton>
              </InputAdornment>
            ),
          },
        }}
      />
      {children}
    </Alert>
  );
}

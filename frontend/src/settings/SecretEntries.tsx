import Add from '@mui/icons-material/Add';
import Close from '@mui/icons-material/Close';
import Undo from '@mui/icons-material/Undo';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import FormHelperText from '@mui/material/FormHelperText';
import IconButton from '@mui/material/IconButton';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import type { SecretEntry } from './validation';

interface Props {
  /** "Environment variable", "Header". */
  label: string;
  entries: SecretEntry[];
  onChange: (entries: SecretEntry[]) => void;
  error?: string;
}

/**
 * Name/value pairs whose values are write-only: a stored entry shows its name, keeps its value
 * unless a new one is typed, and can be removed; new entries take both.
 */
export default function SecretEntries({ label, entries, onChange, error }: Props) {
  const update = (index: number, change: Partial<SecretEntry>) => onChange(entries.map((e, i) => (i === index ? { ...e, ...change } : e)));
  const drop = (index: number) => (entries[index].stored ? update(index, { removed: !entries[index].removed }) : onChange(entries.filter((_, i) => i !== index)));
  return (
    <Box role="group" aria-label={`${label}s`}>
      <Typography variant="caption" color="text.secondary">
        {label}s (values are stored encrypted and never shown again)
      </Typography>
      {entries.map((e, i) => (
        <Box key={i} sx={{ display: 'flex', gap: 1, alignItems: 'center', mt: 1, opacity: e.removed ? 0.5 : 1 }}>
          <TextField size="small" label={`${label} name`} value={e.name} disabled={e.stored} onChange={(ev) => update(i, { name: ev.target.value })} sx={{ flex: 1 }} />
          <TextField
            size="small"
            label={`${label} value`}
            type="password"
            autoComplete="new-password"
            value={e.value}
            disabled={e.removed}
            placeholder={e.stored ? 'stored: type to replace' : undefined}
            slotProps={{ inputLabel: { shrink: e.stored || undefined } }}
            onChange={(ev) => update(i, { value: ev.target.value })}
            sx={{ flex: 1 }}
          />
          <IconButton size="small" aria-label={`${e.removed ? 'Keep' : 'Remove'} ${e.name || label}`} onClick={() => drop(i)}>
            {e.removed ? <Undo fontSize="small" /> : <Close fontSize="small" />}
          </IconButton>
        </Box>
      ))}
      <Button size="small" startIcon={<Add />} onClick={() => onChange([...entries, { name: '', value: '', stored: false, removed: false }])} sx={{ mt: 0.5 }}>
        Add {label.toLowerCase()}
      </Button>
      {error && <FormHelperText error>{error}</FormHelperText>}
    </Box>
  );
}

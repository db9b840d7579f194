import Box from '@mui/material/Box';
import FormControlLabel from '@mui/material/FormControlLabel';
import MenuItem from '@mui/material/MenuItem';
import Switch from '@mui/material/Switch';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import type { JsonSchema } from '../api/types';
import CommitTextField from '../common/CommitTextField';
import { fieldKind, fromText, toText, validateValue } from './schema';

interface Props {
  schema: JsonSchema | null | undefined;
  value: Record<string, unknown>;
  onChange: (value: Record<string, unknown>) => void;
  readOnly?: boolean;
  /** Prefix for accessible labels, e.g. the tool name. */
  labelPrefix?: string;
}

/** A form rendered from a tool's JSON schema (flat objects; nested values edit as JSON). */
export default function SchemaForm({ schema, value, onChange, readOnly, labelPrefix }: Props) {
  const properties = Object.entries(schema?.properties ?? {});
  if (properties.length === 0) {
    return (
      <Typography variant="body2" color="text.secondary">
        No settings.
      </Typography>
    );
  }
  const required = new Set(schema?.required ?? []);
  const set = (name: string, v: unknown) => {
    const next = { ...value };
    if (v === undefined) delete next[name];
    else next[name] = v;
    onChange(next);
  };
  return (
    <Box sx={{ display: 'flex', flexDirection: 'column', gap: 1 }}>
      {properties.map(([name, prop]) => {
        const kind = fieldKind(name, prop);
        const label = `${prop.title ?? name}${required.has(name) ? ' *' : ''}`;
        const aria = labelPrefix ? `${labelPrefix} ${prop.title ?? name}` : undefined;
        const current = value[name] ?? undefined;
        if (kind === 'boolean') {
          return (
            <FormControlLabel
              key={name}
              control={
                <Switch
                  checked={Boolean(current ?? prop.default)}
                  onChange={(e) => set(name, e.target.checked)}
                  disabled={readOnly}
                  slotProps={{ input: { 'aria-label': aria ?? label } }}
                />
              }
              label={label}
            />
          );
        }
        if (kind === 'enum') {
          return (
            <TextField
              key={name}
              select
              label={label}
              value={current ?? ''}
              onChange={(e) => set(name, e.target.value === '' ? undefined : prop.enum?.find((x) => String(x) === e.target.value))}
              disabled={readOnly}
              helperText={prop.description ?? ' '}
              slotProps={{ htmlInput: { 'aria-label': aria } }}
            >
              {!required.has(name) && (
                <MenuItem value="">
                  <em>Not set</em>
                </MenuItem>
              )}
              {prop.enum?.map((option) => (
                <MenuItem key={String(option)} value={String(option)}>
                  {String(option)}
                </MenuItem>
              ))}
            </TextField>
          );
        }
        return (
          <CommitTextField
            key={name}
            label={label}
            type={kind === 'secret' ? 'password' : 'text'}
            value={toText(kind, current)}
            placeholder={prop.default !== undefined ? toText(kind, prop.default) : undefined}
            multiline={kind === 'json'}
            minRows={kind === 'json' ? 2 : undefined}
            disabled={readOnly}
            autoComplete="off"
            helperText={prop.description ?? (kind === 'string-list' ? 'Comma-separated' : undefined)}
            slotProps={{ htmlInput: { 'aria-label': aria } }}
            validate={(text) => {
              const parsed = fromText(kind, text);
              if (parsed.error) return parsed.error;
              return validateValue(name, prop, parsed.value, required.has(name));
            }}
            onCommit={(text) => {
              const parsed = fromText(kind, text);
              if (!parsed.error) set(name, parsed.value);
            }}
          />
        );
      })}
    </Box>
  );
}

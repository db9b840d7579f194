import ListItemText from '@mui/material/ListItemText';
import ListSubheader from '@mui/material/ListSubheader';
import MenuItem from '@mui/material/MenuItem';
import TextField from '@mui/material/TextField';
import type { ReactNode } from 'react';
import type { Model } from '../api/types';
import { providerLabel } from '../common/providers';
import { modelInfo } from './flow';

interface Props {
  label: string;
  value: string | null;
  models: Model[] | undefined;
  onChange: (key: string | null) => void;
  disabled?: boolean;
  /** Offer "None" (an optional model, e.g. the manager); an agent must have a model. */
  allowNone?: boolean;
  error?: string | null;
  /** Which models to offer: chat models (agents, manager) or embedding models (memory). */
  kind?: 'chat' | 'embedding';
}

/** Model select: disabled models can't be picked, models without a provider key say so; the
 * group's default (the server's choice of the first model that can run now) comes first. */
export default function ModelPicker({ label, value, models: allModels, onChange, disabled, allowNone = false, error, kind = 'chat' }: Props) {
  const chat = allModels?.filter((m) => (m.kind ?? 'chat') === kind);
  const models = chat && [...chat.filter((m) => m.is_default), ...chat.filter((m) => !m.is_default)];
  const providers = [...new Set((models ?? []).map((m) => m.provider))];
  const items: ReactNode[] = [];
  if (allowNone)
    items.push(
      <MenuItem key="__none" value="">
        <em>None</em>
      </MenuItem>,
    );
  for (const provider of providers) {
    items.push(<ListSubheader key={`h-${provider}`}>{providerLabel(provider)}</ListSubheader>);
    for (const m of (models ?? []).filter((x) => x.provider === provider)) {
      const info = modelInfo(m.key, models);
      items.push(
        <MenuItem key={m.key} value={m.key} disabled={!m.enabled} data-testid={`model-option-${m.key}`}>
          <ListItemText
            primary={info.label}
            secondary={[m.is_default ? 'default' : null, m.model, info.warning].filter(Boolean).join(' · ')}
            slotProps={{ secondary: { color: info.warning ? 'warning.main' : 'text.secondary' } }}
          />
        </MenuItem>,
      );
    }
  }
  const known = !value || (models ?? []).some((m) => m.key === value);
  if (value && !known)
    items.push(
      <MenuItem key={value} value={value} disabled>
        {value} (unknown)
      </MenuItem>,
    );
  const info = modelInfo(value, models);
  return (
    <TextField
      select
      label={label}
      value={value ?? ''}
      onChange={(e) => onChange(e.target.value === '' ? null : e.target.value)}
      disabled={disabled}
      error={Boolean(error)}
      helperText={error ?? (info.warning ? `This model: ${info.warning}` : ' ')}
      slotProps={{
        select: {
          renderValue: (v) => (v ? (modelInfo(String(v), models).label ?? String(v)) : allowNone ? 'None' : 'Choose a model'),
          displayEmpty: true,
        },
        inputLabel: { shrink: true },
      }}
      fullWidth
    >
      {items}
    </TextField>
  );
}

import Close from '@mui/icons-material/Close';
import Box from '@mui/material/Box';
import IconButton from '@mui/material/IconButton';
import MenuItem from '@mui/material/MenuItem';
import Paper from '@mui/material/Paper';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import type { Tool, ToolRef } from '../api/types';
import { validateConfig } from './schema';
import SchemaForm from './SchemaForm';

interface Props {
  value: ToolRef[];
  tools: Tool[] | undefined;
  onChange: (value: ToolRef[]) => void;
  readOnly?: boolean;
}

/** Tools of an agent or task, each with its configuration form. */
export default function ToolsPicker({ value, tools, onChange, readOnly }: Props) {
  const byId = new Map((tools ?? []).map((t) => [t.id, t]));
  const available = (tools ?? []).filter((t) => t.enabled && !value.some((v) => v.tool_id === t.id));
  return (
    <Box sx={{ display: 'flex', flexDirection: 'column', gap: 1 }}>
      {value.map((ref, index) => {
        const tool = byId.get(ref.tool_id);
        const errors = validateConfig(tool?.config_schema, ref.config);
        const name = tool?.name ?? ref.tool_id;
        return (
          <Paper key={ref.tool_id} variant="outlined" sx={{ p: 1 }} data-testid={`tool-${ref.tool_id}`}>
            <Box sx={{ display: 'flex', alignItems: 'center', mb: 0.5 }}>
              <Typography variant="subtitle2" sx={{ flex: 1 }}>
                {name}
                {!tool && ' (unknown tool)'}
                {tool && !tool.enabled && ' (disabled)'}
              </Typography>
              <IconButton
                size="small"
                aria-label={`Remove tool ${name}`}
                disabled={readOnly}
                onClick={() => onChange(value.filter((_, i) => i !== index))}
              >
                <Close fontSize="small" />
              </IconButton>
            </Box>
            {tool?.description && (
              <Typography variant="caption" color="text.secondary" component="div" sx={{ mb: 1 }}>
                {tool.description}
              </Typography>
            )}
            <SchemaForm
              schema={tool?.config_schema}
              value={ref.config}
              readOnly={readOnly}
              labelPrefix={name}
              onChange={(config) => onChange(value.map((v, i) => (i === index ? { ...v, config } : v)))}
            />
            {Object.keys(errors).length > 0 && (
              <Typography variant="caption" color="error" role="alert">
                {Object.values(errors).join('; ')}
              </Typography>
            )}
          </Paper>
        );
      })}
      <TextField
        select
        label="Add a tool"
        value=""
        disabled={readOnly || available.length === 0}
        onChange={(e) => {
          const tool = byId.get(e.target.value);
          if (!tool) return;
          const defaults: Record<string, unknown> = {};
          for (const [k, p] of Object.entries(tool.config_schema?.properties ?? {})) {
            if (p.default !== undefined) defaults[k] = p.default;
          }
          onChange([...value, { tool_id: tool.id, config: defaults }]);
        }}
        helperText={available.length === 0 && tools ? 'No more tools available' : ' '}
      >
        {available.map((t) => (
          <MenuItem key={t.id} value={t.id}>
            {t.name}
          </MenuItem>
        ))}
      </TextField>
    </Box>
  );
}

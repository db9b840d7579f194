import Close from '@mui/icons-material/Close';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Chip from '@mui/material/Chip';
import IconButton from '@mui/material/IconButton';
import Paper from '@mui/material/Paper';
import Typography from '@mui/material/Typography';
import type { Tool, ToolRef } from '../api/types';
import { providerLabel } from '../common/providers';
import AddToolField, { type ToolChoice } from './AddToolField';
import { useFieldChoices } from './fieldChoices';
import ProblemLink from './ProblemLink';
import { defaultConfig, validateConfig } from './schema';
import SchemaForm from './SchemaForm';
import { useSourceTools, type SourceTool } from './sourceTools';
import { categoryLabel, describeSourceRef, missingKeys, parseSourceRef } from './toolCatalog';

interface Props {
  value: ToolRef[];
  tools: Tool[] | undefined;
  onChange: (value: ToolRef[]) => void;
  readOnly?: boolean;
}

interface CardProps {
  toolRef: ToolRef;
  tool: Tool | undefined;
  /** The source tool it names, when the group's sources list it. */
  sourceTool: SourceTool | undefined;
  onConfig: (config: Record<string, unknown>) => void;
  onRemove: () => void;
  readOnly?: boolean;
}

/** A built-in tool's warnings and settings: its caution, a missing API key, its config form. */
function CatalogToolBody({ toolRef, tool, onConfig, readOnly }: Pick<CardProps, 'toolRef' | 'onConfig' | 'readOnly'> & { tool: Tool }) {
  const errors = validateConfig(tool.config_schema, toolRef.config);
  const choices = useFieldChoices(tool);
  const missing = missingKeys(tool, toolRef.config);
  return (
    <>
      {tool.description && (
        <Typography variant="caption" color="text.secondary" component="div" sx={{ mb: 1 }}>
          {tool.description}
        </Typography>
      )}
      {tool.caution && (
        <Alert severity="warning" sx={{ mb: 1, py: 0 }}>
          {tool.caution}
        </Alert>
      )}
      {missing.length > 0 && (
        <Alert severity="error" sx={{ mb: 1, py: 0 }}>
          Needs a {missing.map(providerLabel).join(' or ')} API key, which this group has not added. <ProblemLink code="missing_tool_key" />
        </Alert>
      )}
      <SchemaForm schema={tool.config_schema} value={toolRef.config} readOnly={readOnly} labelPrefix={tool.name} choices={choices} onChange={onConfig} />
      {Object.keys(errors).length > 0 && (
        <Typography variant="caption" color="error" role="alert">
          {Object.values(errors).join('; ')}
        </Typography>
      )}
    </>
  );
}

function ToolUseCard({ toolRef, tool, sourceTool, onConfig, onRemove, readOnly }: CardProps) {
  const source = tool ? null : parseSourceRef(toolRef.tool_id);
  const name = tool?.name ?? toolRef.tool_id;
  return (
    <Paper variant="outlined" sx={{ p: 1 }} data-testid={`tool-${toolRef.tool_id}`}>
      <Box sx={{ display: 'flex', alignItems: 'center', gap: 0.5, mb: 0.5 }}>
        <Typography variant="subtitle2" sx={{ flex: 1, minWidth: 0, overflowWrap: 'anywhere' }}>
          {name}
          {!tool && !source && ' (unknown tool)'}
          {tool && !tool.enabled && ' (disabled)'}
        </Typography>
        <Chip size="small" variant="outlined" label={tool ? categoryLabel(tool.category) : source ? categoryLabel(source.kind) : '?'} sx={{ height: 20 }} />
        <IconButton size="small" aria-label={`Remove tool ${name}`} disabled={readOnly} onClick={onRemove}>
          <Close fontSize="small" />
        </IconButton>
      </Box>
      {tool && <CatalogToolBody toolRef={toolRef} tool={tool} onConfig={onConfig} readOnly={readOnly} />}
      {source && (
        <Typography variant="caption" color="text.secondary" component="div">
          {describeSourceRef(source)}
          {sourceTool ? `: ${sourceTool.detail}` : ". Checked against the group's sources when the crew is saved."}
          {sourceTool && !sourceTool.enabled && ' (disabled for this group)'}
        </Typography>
      )}
    </Paper>
  );
}

/** Tools of an agent or task, each with its configuration form, and a search to add more (built-ins and the group's sources). */
export default function ToolsPicker({ value, tools, onChange, readOnly }: Props) {
  const byId = new Map((tools ?? []).map((t) => [t.id, t]));
  const sourceTools = useSourceTools();
  const sourceByRef = new Map(sourceTools.map((t) => [t.reference, t]));
  const add = (choice: ToolChoice) => {
    const ref =
      'tool' in choice
        ? { tool_id: choice.tool.id, config: defaultConfig(choice.tool.config_schema) }
        : { tool_id: 'source' in choice ? choice.source.reference : choice.reference, config: {} };
    onChange([...value, ref]);
  };
  return (
    <Box sx={{ display: 'flex', flexDirection: 'column', gap: 1 }}>
      {value.map((ref, index) => (
        <ToolUseCard
          key={ref.tool_id}
          toolRef={ref}
          tool={byId.get(ref.tool_id)}
          sourceTool={sourceByRef.get(ref.tool_id)}
          readOnly={readOnly}
          onConfig={(config) => onChange(value.map((v, i) => (i === index ? { ...v, config } : v)))}
          onRemove={() => onChange(value.filter((_, i) => i !== index))}
        />
      ))}
      <AddToolField tools={tools} sourceTools={sourceTools} taken={new Set(value.map((v) => v.tool_id))} onAdd={add} disabled={readOnly} />
    </Box>
  );
}

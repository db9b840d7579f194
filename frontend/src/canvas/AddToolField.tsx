import WarningAmber from '@mui/icons-material/WarningAmber';
import Autocomplete from '@mui/material/Autocomplete';
import Box from '@mui/material/Box';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useState } from 'react';
import type { Tool } from '../api/types';
import { providerLabel } from '../common/providers';
import { matchesSourceTool, type SourceTool } from './sourceTools';
import { categoryLabel, describeSourceRef, matchesQuery, parseSourceRef, sortByCategory, sortTools, type SourceRef } from './toolCatalog';

/** What the search offers: a catalog tool, a tool of the group's sources, or the reference the user typed. */
export type ToolChoice = { tool: Tool } | { source: SourceTool } | { reference: string; ref: SourceRef };

interface Props {
  tools: Tool[] | undefined;
  /** The tools of the group's OpenAPI documents and MCP servers. */
  sourceTools: readonly SourceTool[];
  /** Tool ids the agent or task already has. */
  taken: ReadonlySet<string>;
  onAdd: (choice: ToolChoice) => void;
  disabled?: boolean;
}

const BY_REFERENCE = 'By reference';

function choiceId(c: ToolChoice): string {
  if ('tool' in c) return c.tool.id;
  return 'source' in c ? c.source.reference : c.reference;
}

function choiceLabel(c: ToolChoice): string {
  if ('tool' in c) return c.tool.name;
  return 'source' in c ? c.source.label : c.reference;
}

function choiceGroup(c: ToolChoice): string {
  if ('tool' in c) return c.tool.category;
  return 'source' in c ? c.source.category : BY_REFERENCE;
}

function matchesChoice(c: ToolChoice, query: string): boolean {
  if ('tool' in c) return matchesQuery(c.tool, query);
  return 'source' in c && matchesSourceTool(c.source, query);
}

/** Which keys the tool could use, when the group has added none of them. */
function noKeyHint(tool: Tool): string | null {
  if (tool.credentials.length === 0 || tool.credentials.some((c) => c.configured)) return null;
  return ` · no ${tool.credentials.map((c) => providerLabel(c.provider)).join(' / ')} key added`;
}

interface OptionProps {
  name: string;
  /** What a tool list names: a tool id or a source reference. */
  id: string;
  enabled: boolean;
  hint?: string | null;
  description: string;
  caution?: string | null;
}

/** An option of the list: name, id and state, what it does, and any caution. */
function OptionBody({ name, id, enabled, hint, description, caution }: OptionProps) {
  return (
    <Box sx={{ minWidth: 0 }}>
      <Typography variant="body2">
        {name}{' '}
        <Typography component="span" variant="caption" color="text.secondary">
          {id}
          {!enabled && ' · disabled for this group'}
          {hint}
        </Typography>
      </Typography>
      <Typography variant="caption" color="text.secondary" component="div" sx={{ display: '-webkit-box', WebkitLineClamp: 2, WebkitBoxOrient: 'vertical', overflow: 'hidden' }}>
        {description}
      </Typography>
      {caution && (
        <Typography variant="caption" color="warning.main" component="div" sx={{ display: 'flex', gap: 0.5, alignItems: 'center' }}>
          <WarningAmber sx={{ fontSize: 14 }} />
          {caution}
        </Typography>
      )}
    </Box>
  );
}

function ChoiceOption({ choice }: { choice: ToolChoice }) {
  if ('tool' in choice) {
    const { tool } = choice;
    return <OptionBody name={tool.name} id={tool.id} enabled={tool.enabled} hint={noKeyHint(tool)} description={tool.description} caution={tool.caution} />;
  }
  if ('source' in choice) {
    const { source } = choice;
    return <OptionBody name={source.label} id={source.reference} enabled={source.enabled} description={source.detail} />;
  }
  return (
    <Typography variant="body2">
      Add {choice.reference} · {describeSourceRef(choice.ref)}
    </Typography>
  );
}

/**
 * Search the catalog (name, id, description) and the tools of the group's OpenAPI documents and
 * MCP servers, grouped by category; or type a reference to a source's tool the list does not show
 * (an MCP server not tested yet), which the server checks when the crew is saved.
 */
export default function AddToolField({ tools, sourceTools, taken, onAdd, disabled }: Props) {
  const [query, setQuery] = useState('');
  const listed: ToolChoice[] = [
    ...sortTools((tools ?? []).filter((t) => !taken.has(t.id))).map((tool) => ({ tool })),
    ...sourceTools.filter((t) => !taken.has(t.reference)).map((source) => ({ source })),
  ];
  const options = sortByCategory(listed, choiceGroup);
  const filter = (all: ToolChoice[]): ToolChoice[] => {
    const matching = all.filter((c) => matchesChoice(c, query));
    const ref = parseSourceRef(query);
    const reference = query.trim();
    const known = taken.has(reference) || sourceTools.some((t) => t.reference === reference);
    return ref && !known ? [...matching, { reference, ref }] : matching;
  };
  return (
    <Autocomplete<ToolChoice, false, false, false>
      options={options}
      value={null}
      inputValue={query}
      onInputChange={(_, text, reason) => setQuery(reason === 'input' ? text : '')}
      onChange={(_, choice) => {
        setQuery('');
        if (choice) onAdd(choice);
      }}
      filterOptions={filter}
      groupBy={(c) => categoryLabel(choiceGroup(c))}
      getOptionLabel={choiceLabel}
      getOptionDisabled={(c) => ('tool' in c && !c.tool.enabled) || ('source' in c && !c.source.enabled)}
      isOptionEqualToValue={(a, b) => choiceId(a) === choiceId(b)}
      renderOption={({ key, ...props }, c) => (
        <li key={key} {...props} data-testid={`tool-option-${choiceId(c)}`}>
          <ChoiceOption choice={c} />
        </li>
      )}
      noOptionsText="No tool matches. A tool of an MCP server or OpenAPI document is added by its reference, e.g. mcp:github/create_issue"
      autoHighlight
      disabled={disabled}
      slotProps={{ listbox: { sx: { maxHeight: 360 } } }}
      renderInput={(params) => (
        <TextField
          {...params}
          label="Add a tool"
          placeholder="Search tools"
          helperText="Search, or type mcp:<server>[/<tool>] or openapi:<name>[/<operation>]"
        />
      )}
    />
  );
}

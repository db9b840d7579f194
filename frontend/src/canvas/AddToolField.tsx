import WarningAmber from '@mui/icons-material/WarningAmber';
import Autocomplete from '@mui/material/Autocomplete';
import Box from '@mui/material/Box';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useState } from 'react';
import type { Tool } from '../api/types';
import { providerLabel } from '../common/providers';
import { categoryLabel, describeSourceRef, matchesQuery, parseSourceRef, sortTools, type SourceRef } from './toolCatalog';

/** What the search offers: a catalog tool, or the reference the user typed. */
export type ToolChoice = { tool: Tool } | { reference: string; ref: SourceRef };

interface Props {
  tools: Tool[] | undefined;
  /** Tool ids the agent or task already has. */
  taken: ReadonlySet<string>;
  onAdd: (choice: ToolChoice) => void;
  disabled?: boolean;
}

const BY_REFERENCE = 'By reference';

function choiceId(c: ToolChoice): string {
  return 'tool' in c ? c.tool.id : c.reference;
}

/** Which keys the tool could use, when the group has added none of them. */
function noKeyHint(tool: Tool): string | null {
  if (tool.credentials.length === 0 || tool.credentials.some((c) => c.configured)) return null;
  return ` · no ${tool.credentials.map((c) => providerLabel(c.provider)).join(' / ')} key added`;
}

function ToolOption({ tool }: { tool: Tool }) {
  return (
    <Box sx={{ minWidth: 0 }}>
      <Typography variant="body2">
        {tool.name}{' '}
        <Typography component="span" variant="caption" color="text.secondary">
          {tool.id}
          {!tool.enabled && ' · disabled for this group'}
          {noKeyHint(tool)}
        </Typography>
      </Typography>
      <Typography variant="caption" color="text.secondary" component="div" sx={{ display: '-webkit-box', WebkitLineClamp: 2, WebkitBoxOrient: 'vertical', overflow: 'hidden' }}>
        {tool.description}
      </Typography>
      {tool.caution && (
        <Typography variant="caption" color="warning.main" component="div" sx={{ display: 'flex', gap: 0.5, alignItems: 'center' }}>
          <WarningAmber sx={{ fontSize: 14 }} />
          {tool.caution}
        </Typography>
      )}
    </Box>
  );
}

/**
 * Search the catalog (name, id, description), grouped by category; or type a reference to a
 * tool of an MCP server or OpenAPI document, which the server checks when the crew is saved.
 */
export default function AddToolField({ tools, taken, onAdd, disabled }: Props) {
  const [query, setQuery] = useState('');
  const options: ToolChoice[] = sortTools((tools ?? []).filter((t) => !taken.has(t.id))).map((tool) => ({ tool }));
  const filter = (all: ToolChoice[]): ToolChoice[] => {
    const matching = all.filter((c) => 'tool' in c && matchesQuery(c.tool, query));
    const ref = parseSourceRef(query);
    const reference = query.trim();
    return ref && !taken.has(reference) ? [...matching, { reference, ref }] : matching;
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
      groupBy={(c) => ('tool' in c ? categoryLabel(c.tool.category) : BY_REFERENCE)}
      getOptionLabel={(c) => ('tool' in c ? c.tool.name : c.reference)}
      getOptionDisabled={(c) => 'tool' in c && !c.tool.enabled}
      isOptionEqualToValue={(a, b) => choiceId(a) === choiceId(b)}
      renderOption={({ key, ...props }, c) => (
        <li key={key} {...props} data-testid={`tool-option-${choiceId(c)}`}>
          {'tool' in c ? <ToolOption tool={c.tool} /> : <Typography variant="body2">Add {c.reference} · {describeSourceRef(c.ref)}</Typography>}
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

import Box from '@mui/material/Box';
import FormControlLabel from '@mui/material/FormControlLabel';
import MenuItem from '@mui/material/MenuItem';
import Switch from '@mui/material/Switch';
import TextField from '@mui/material/TextField';
import type { MemoryScope, Model, Process } from '../api/types';
import CommitTextField from '../common/CommitTextField';
import type { EditableCrew } from './model';
import KnowledgePicker from './KnowledgePicker';
import ModelPicker from './ModelPicker';
import { optionalPositiveInt, parseOptionalInt, required } from './validation';

const MEMORY_HELP: Record<MemoryScope, string> = {
  off: 'Nothing is remembered',
  run: 'Remembered while the run lasts; more LLM calls',
  crew: 'Every run of this crew recalls what earlier runs saved',
  group: "Shared by the group's crews that use group memory",
};

interface Props {
  doc: EditableCrew;
  models: Model[] | undefined;
  onChange: (patch: Partial<EditableCrew>) => void;
  readOnly?: boolean;
}

export default function CrewSettingsForm({ doc, models, onChange, readOnly }: Props) {
  const toggle = (field: 'planning' | 'verbose', label: string, help?: string) => (
    <FormControlLabel
      control={
        <Switch
          checked={doc[field]}
          onChange={(e) => onChange({ [field]: e.target.checked })}
          disabled={readOnly}
          slotProps={{ input: { 'aria-label': label } }}
        />
      }
      label={help ? `${label} (${help})` : label}
    />
  );
  return (
    <Box component="form" aria-label="Crew settings" sx={{ display: 'flex', flexDirection: 'column', gap: 1 }} onSubmit={(e) => e.preventDefault()}>
      <CommitTextField
        label="Crew name"
        value={doc.name}
        onCommit={(name) => onChange({ name: name.trim() })}
        validate={required('Name')}
        disabled={readOnly}
        required
      />
      <CommitTextField
        label="Description"
        value={doc.description}
        onCommit={(description) => onChange({ description })}
        disabled={readOnly}
        multiline
        minRows={2}
      />
      <TextField
        select
        label="Process"
        value={doc.process}
        onChange={(e) => onChange({ process: e.target.value as Process })}
        disabled={readOnly}
        helperText={doc.process === 'hierarchical' ? 'A manager model assigns tasks to agents' : 'Tasks run in order, each by its agent'}
      >
        <MenuItem value="sequential">Sequential</MenuItem>
        <MenuItem value="hierarchical">Hierarchical</MenuItem>
      </TextField>
      <ModelPicker
        label="Manager model"
        value={doc.manager_llm}
        models={models}
        onChange={(manager_llm) => onChange({ manager_llm })}
        disabled={readOnly}
        allowNone
        error={doc.process === 'hierarchical' && !doc.manager_llm ? 'Required for a hierarchical crew' : null}
      />
      <CommitTextField
        label="Max requests per minute"
        value={doc.max_rpm === null ? '' : String(doc.max_rpm)}
        onCommit={(v) => onChange({ max_rpm: parseOptionalInt(v) })}
        validate={optionalPositiveInt('Max requests per minute')}
        disabled={readOnly}
        slotProps={{ htmlInput: { inputMode: 'numeric' } }}
      />
      <KnowledgePicker
        label="Knowledge"
        value={doc.knowledge ?? []}
        onChange={(knowledge) => onChange({ knowledge })}
        helperText="Bases every agent of the crew searches (with knowledge_search)"
        disabled={readOnly}
      />
      {toggle('planning', 'Planning', 'plan before each iteration')}
      <TextField
        select
        label="Memory"
        value={doc.memory}
        onChange={(e) => onChange({ memory: e.target.value as MemoryScope })}
        disabled={readOnly}
        helperText={MEMORY_HELP[doc.memory]}
      >
        <MenuItem value="off">Off</MenuItem>
        <MenuItem value="run">This run only</MenuItem>
        <MenuItem value="crew">This crew (every run)</MenuItem>
        <MenuItem value="group">The group's crews</MenuItem>
      </TextField>
      {doc.memory !== 'off' && (
        <ModelPicker
          label="Embedding model"
          kind="embedding"
          value={doc.embedder ?? null}
          models={models}
          onChange={(embedder) => onChange({ embedder })}
          disabled={readOnly}
          allowNone
          error={doc.embedder ? null : 'Memory needs an embedding model'}
        />
      )}
      {toggle('verbose', 'Verbose')}
    </Box>
  );
}

import Box from '@mui/material/Box';
import Divider from '@mui/material/Divider';
import FormControlLabel from '@mui/material/FormControlLabel';
import Switch from '@mui/material/Switch';
import Typography from '@mui/material/Typography';
import type { Agent, Model, Tool } from '../api/types';
import CommitTextField from '../common/CommitTextField';
import KnowledgePicker from './KnowledgePicker';
import ModelPicker from './ModelPicker';
import ToolsPicker from './ToolsPicker';
import { optionalPositiveInt, parseOptionalInt, positiveInt, required, validateKey } from './validation';

export interface AgentFormProps {
  agent: Agent;
  otherKeys: ReadonlySet<string>;
  models: Model[] | undefined;
  tools: Tool[] | undefined;
  onChange: (patch: Partial<Agent>) => void;
  readOnly?: boolean;
}

export default function AgentForm({ agent, otherKeys, models, tools, onChange, readOnly }: AgentFormProps) {
  const toggle = (field: 'allow_delegation' | 'reasoning' | 'verbose', label: string) => (
    <FormControlLabel
      control={
        <Switch
          checked={agent[field]}
          onChange={(e) => onChange({ [field]: e.target.checked })}
          disabled={readOnly}
          slotProps={{ input: { 'aria-label': label } }}
        />
      }
      label={label}
    />
  );
  return (
    <Box component="form" aria-label="Agent" sx={{ display: 'flex', flexDirection: 'column', gap: 1 }} onSubmit={(e) => e.preventDefault()}>
      <CommitTextField
        label="Role"
        value={agent.role}
        onCommit={(role) => onChange({ role })}
        validate={required('Role')}
        commitInvalid
        disabled={readOnly}
        required
      />
      <CommitTextField
        label="Goal"
        value={agent.goal}
        onCommit={(goal) => onChange({ goal })}
        validate={required('Goal')}
        commitInvalid
        disabled={readOnly}
        required
        multiline
        minRows={2}
      />
      <CommitTextField
        label="Backstory"
        value={agent.backstory}
        onCommit={(backstory) => onChange({ backstory })}
        disabled={readOnly}
        multiline
        minRows={3}
      />
      <ModelPicker label="Model" value={agent.llm} models={models} onChange={(llm) => onChange({ llm })} disabled={readOnly} />
      <Divider textAlign="left">
        <Typography variant="caption">Tools</Typography>
      </Divider>
      <ToolsPicker value={agent.tools} tools={tools} onChange={(t) => onChange({ tools: t })} readOnly={readOnly} />
      <KnowledgePicker
        label="Knowledge"
        value={agent.knowledge}
        onChange={(knowledge) => onChange({ knowledge })}
        helperText="Bases this agent searches (with knowledge_search), besides the crew's"
        disabled={readOnly}
      />
      <Divider textAlign="left">
        <Typography variant="caption">Advanced</Typography>
      </Divider>
      <CommitTextField
        label="Key"
        value={agent.key}
        onCommit={(key) => onChange({ key: key.trim() })}
        validate={(v) => validateKey(v, otherKeys)}
        disabled={readOnly}
        helperText="Unique in the crew; tasks refer to the agent by it"
      />
      <Box sx={{ display: 'flex', gap: 1 }}>
        <CommitTextField
          label="Max iterations"
          value={String(agent.max_iter)}
          onCommit={(v) => onChange({ max_iter: Number.parseInt(v, 10) })}
          validate={positiveInt('Max iterations')}
          disabled={readOnly}
          slotProps={{ htmlInput: { inputMode: 'numeric' } }}
        />
        <CommitTextField
          label="Max requests/min"
          value={agent.max_rpm === null ? '' : String(agent.max_rpm)}
          onCommit={(v) => onChange({ max_rpm: parseOptionalInt(v) })}
          validate={optionalPositiveInt('Max requests per minute')}
          disabled={readOnly}
          slotProps={{ htmlInput: { inputMode: 'numeric' } }}
        />
      </Box>
      <CommitTextField
        label="Max execution time (s)"
        value={agent.max_execution_time === null ? '' : String(agent.max_execution_time)}
        onCommit={(v) => onChange({ max_execution_time: parseOptionalInt(v) })}
        validate={optionalPositiveInt('Max execution time')}
        disabled={readOnly}
        slotProps={{ htmlInput: { inputMode: 'numeric' } }}
      />
      {toggle('allow_delegation', 'Allow delegation')}
      {toggle('reasoning', 'Reasoning')}
      {toggle('verbose', 'Verbose')}
    </Box>
  );
}

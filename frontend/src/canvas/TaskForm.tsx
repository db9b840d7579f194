import Box from '@mui/material/Box';
import Checkbox from '@mui/material/Checkbox';
import Divider from '@mui/material/Divider';
import FormControlLabel from '@mui/material/FormControlLabel';
import ListItemText from '@mui/material/ListItemText';
import MenuItem from '@mui/material/MenuItem';
import Switch from '@mui/material/Switch';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import type { Agent, Task, Tool } from '../api/types';
import CommitTextField from '../common/CommitTextField';
import ToolsPicker from './ToolsPicker';
import { required, validateJsonObject, validateKey } from './validation';

export interface TaskFormProps {
  task: Task;
  agents: Agent[];
  /** Tasks this one may use the output of (all other tasks). */
  otherTasks: Task[];
  otherKeys: ReadonlySet<string>;
  tools: Tool[] | undefined;
  onChange: (patch: Partial<Task>) => void;
  readOnly?: boolean;
}

export default function TaskForm({ task, agents, otherTasks, otherKeys, tools, onChange, readOnly }: TaskFormProps) {
  const toggle = (field: 'async_execution' | 'markdown' | 'human_input', label: string) => (
    <FormControlLabel
      control={
        <Switch
          checked={task[field]}
          onChange={(e) => onChange({ [field]: e.target.checked })}
          disabled={readOnly}
          slotProps={{ input: { 'aria-label': label } }}
        />
      }
      label={label}
    />
  );
  return (
    <Box component="form" aria-label="Task" sx={{ display: 'flex', flexDirection: 'column', gap: 1 }} onSubmit={(e) => e.preventDefault()}>
      <CommitTextField
        label="Name"
        value={task.name}
        onCommit={(name) => onChange({ name })}
        validate={required('Name')}
        commitInvalid
        disabled={readOnly}
        required
      />
      <CommitTextField
        label="Description"
        value={task.description}
        onCommit={(description) => onChange({ description })}
        validate={required('Description')}
        commitInvalid
        disabled={readOnly}
        required
        multiline
        minRows={3}
        helperText="Use {placeholders} for run inputs"
      />
      <CommitTextField
        label="Expected output"
        value={task.expected_output}
        onCommit={(expected_output) => onChange({ expected_output })}
        validate={required('Expected output')}
        commitInvalid
        disabled={readOnly}
        required
        multiline
        minRows={2}
      />
      <TextField
        select
        label="Agent"
        value={task.agent ?? ''}
        onChange={(e) => onChange({ agent: e.target.value || null })}
        disabled={readOnly}
        helperText="Or connect an agent to this task on the canvas"
      >
        <MenuItem value="">
          <em>No agent</em>
        </MenuItem>
        {agents.map((a) => (
          <MenuItem key={a.key} value={a.key}>
            {a.role || a.key}
          </MenuItem>
        ))}
      </TextField>
      <TextField
        select
        label="Uses output of"
        value={task.context}
        onChange={(e) => {
          const v = e.target.value as unknown as string[] | string;
          onChange({ context: typeof v === 'string' ? v.split(',') : v });
        }}
        disabled={readOnly || otherTasks.length === 0}
        helperText="Tasks whose output this task receives"
        slotProps={{
          select: {
            multiple: true,
            renderValue: (selected) => (selected as string[]).join(', '),
          },
        }}
      >
        {otherTasks.map((t) => (
          <MenuItem key={t.key} value={t.key}>
            <Checkbox checked={task.context.includes(t.key)} size="small" />
            <ListItemText primary={t.name || t.key} secondary={t.key} />
          </MenuItem>
        ))}
      </TextField>
      <Divider textAlign="left">
        <Typography variant="caption">Tools</Typography>
      </Divider>
      <ToolsPicker value={task.tools} tools={tools} onChange={(t) => onChange({ tools: t })} readOnly={readOnly} />
      <Divider textAlign="left">
        <Typography variant="caption">Output</Typography>
      </Divider>
      <TextField
        select
        label="Output format"
        value={task.output_format}
        onChange={(e) => onChange({ output_format: e.target.value as Task['output_format'] })}
        disabled={readOnly}
      >
        <MenuItem value="text">Text</MenuItem>
        <MenuItem value="json">JSON</MenuItem>
      </TextField>
      {task.output_format === 'json' && (
        <CommitTextField
          label="Output JSON schema"
          value={task.output_schema ? JSON.stringify(task.output_schema, null, 2) : ''}
          onCommit={(v) => onChange({ output_schema: v.trim() ? (JSON.parse(v) as Record<string, unknown>) : null })}
          validate={validateJsonObject}
          disabled={readOnly}
          multiline
          minRows={3}
        />
      )}
      <CommitTextField
        label="Output file"
        value={task.output_file ?? ''}
        onCommit={(v) => onChange({ output_file: v.trim() || null })}
        disabled={readOnly}
        placeholder="report.md"
        helperText="Also write the output to this file of the run (e.g. output/report.md); download it from the run"
      />
      {toggle('markdown', 'Markdown output')}
      {toggle('async_execution', 'Run asynchronously')}
      {toggle('human_input', 'Ask a human to review')}
      <CommitTextField
        label="Key"
        value={task.key}
        onCommit={(key) => onChange({ key: key.trim() })}
        validate={(v) => validateKey(v, otherKeys)}
        disabled={readOnly}
        helperText="Unique in the crew; other tasks refer to this one by it"
      />
    </Box>
  );
}

import Add from '@mui/icons-material/Add';
import Delete from '@mui/icons-material/Delete';
import OpenInNew from '@mui/icons-material/OpenInNew';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Checkbox from '@mui/material/Checkbox';
import FormControlLabel from '@mui/material/FormControlLabel';
import FormGroup from '@mui/material/FormGroup';
import FormLabel from '@mui/material/FormLabel';
import IconButton from '@mui/material/IconButton';
import MenuItem from '@mui/material/MenuItem';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { crewsApi } from '../api/endpoints';
import { CONDITION_OPS, DECISIONS, type ApprovalSettings, type FlowEdge, type FlowStep } from '../api/flows';
import { keys } from '../api/hooks';
import type { CrewSummary } from '../api/types';
import CommitTextField from '../common/CommitTextField';
import { KEY_PATTERN, KEY_RULE } from '../canvas/model';
import type { KeyedProblem } from '../canvas/problems';
import { edgeId, parseValue, removeEdges, removeSteps, renameStep, updateEdge, updateStep, type EditableFlow } from './model';
import { selectFlow, useFlowEditor } from './store';

interface Props {
  readOnly: boolean;
  crews: CrewSummary[] | undefined;
  problems: KeyedProblem[];
}

const apply = (change: (d: EditableFlow) => EditableFlow) => useFlowEditor.getState().apply(change);

function Problems({ problems }: { problems: KeyedProblem[] }) {
  if (problems.length === 0) return null;
  return (
    <Alert severity={problems.some((p) => p.severity === 'error') ? 'error' : 'warning'} sx={{ mb: 2 }} data-testid="panel-problems">
      <Box component="ul" sx={{ m: 0, pl: 2 }}>
        {problems.map((p, i) => (
          <li key={i}>{p.message}</li>
        ))}
      </Box>
    </Alert>
  );
}

/** The side panel: the selected step or edge, else the flow itself (name, inputs). */
export default function FlowProperties({ readOnly, crews, problems }: Props) {
  const doc = useFlowEditor(selectFlow);
  const selection = useFlowEditor((s) => s.selection);
  const step = selection.nodes.length === 1 ? doc.steps.find((s) => s.key === selection.nodes[0]) : undefined;
  const edge = !step && selection.edges.length === 1 ? doc.edges.find((e) => edgeId(e) === selection.edges[0]) : undefined;
  const mine = (key: string | null) => problems.filter((p) => p.key === key);
  return (
    <Box sx={{ p: 2, display: 'flex', flexDirection: 'column', gap: 1 }} data-testid="flow-properties">
      {step ? (
        <StepForm key={step.key} step={step} doc={doc} readOnly={readOnly} crews={crews} problems={mine(step.key)} />
      ) : edge ? (
        <EdgeForm key={edgeId(edge)} edge={edge} doc={doc} readOnly={readOnly} problems={mine(edgeId(edge))} />
      ) : (
        <FlowForm doc={doc} readOnly={readOnly} problems={mine(null)} />
      )}
    </Box>
  );
}

function FlowForm({ doc, readOnly, problems }: { doc: EditableFlow; readOnly: boolean; problems: KeyedProblem[] }) {
  const setInputs = (inputs: EditableFlow['inputs']) => apply((d) => ({ ...d, inputs }));
  return (
    <>
      <Typography variant="subtitle1" component="h2">
        Flow
      </Typography>
      <Problems problems={problems} />
      <CommitTextField label="Name" value={doc.name} disabled={readOnly} onCommit={(name) => apply((d) => ({ ...d, name }))} />
      <CommitTextField label="Description" value={doc.description} multiline disabled={readOnly} onCommit={(description) => apply((d) => ({ ...d, description }))} />
      <FormLabel component="legend">Inputs</FormLabel>
      <Typography variant="caption" color="text.secondary">
        Asked for when the flow runs; steps use them as {'${inputs.<name>}'}.
      </Typography>
      {doc.inputs.map((input, i) => (
        <Box key={i} sx={{ display: 'flex', gap: 1, alignItems: 'flex-start' }}>
          <CommitTextField
            label="Input name"
            size="small"
            value={input.name}
            disabled={readOnly}
            validate={(v) => (KEY_PATTERN.test(v) ? null : KEY_RULE)}
            onCommit={(name) => setInputs(doc.inputs.map((x, j) => (j === i ? { ...x, name } : x)))}
          />
          <CommitTextField
            label="Default"
            size="small"
            value={input.default}
            disabled={readOnly}
            onCommit={(value) => setInputs(doc.inputs.map((x, j) => (j === i ? { ...x, default: value } : x)))}
          />
          <IconButton aria-label={`Remove input ${input.name}`} disabled={readOnly} onClick={() => setInputs(doc.inputs.filter((_, j) => j !== i))}>
            <Delete fontSize="small" />
          </IconButton>
        </Box>
      ))}
      <Box>
        <Button
          size="small"
          startIcon={<Add />}
          disabled={readOnly}
          onClick={() => {
            const taken = new Set(doc.inputs.map((x) => x.name));
            let n = 1;
            while (taken.has(`input_${n}`)) n += 1;
            setInputs([...doc.inputs, { name: `input_${n}`, default: '' }]);
          }}
        >
          Add input
        </Button>
      </Box>
    </>
  );
}

function StepHeader({ step, doc, readOnly }: { step: FlowStep; doc: EditableFlow; readOnly: boolean }) {
  return (
    <>
      <Box sx={{ display: 'flex', alignItems: 'center' }}>
        <Typography variant="subtitle1" component="h2" sx={{ flex: 1 }}>
          {step.kind === 'crew' ? 'Crew step' : step.kind === 'router' ? 'Router' : 'Approval'}
        </Typography>
        <Button size="small" color="error" startIcon={<Delete />} disabled={readOnly} onClick={() => {
          apply((d) => removeSteps(d, [step.key]));
          useFlowEditor.getState().select({ nodes: [], edges: [] });
        }}>
          Delete step
        </Button>
      </Box>
      <CommitTextField label="Name" value={step.name} disabled={readOnly} onCommit={(name) => apply((d) => updateStep(d, step.key, { name }))} />
      <CommitTextField
        label="Key"
        value={step.key}
        disabled={readOnly}
        validate={(v) => (!KEY_PATTERN.test(v) ? KEY_RULE : v !== step.key && doc.steps.some((s) => s.key === v) ? `Key "${v}" is taken` : null)}
        helperText={`Later steps read its output as \${steps.${step.key}.output}`}
        onCommit={(key) => {
          apply((d) => renameStep(d, step.key, key));
          useFlowEditor.getState().select({ nodes: [key], edges: [] });
        }}
      />
    </>
  );
}

function StepForm({ step, doc, readOnly, crews, problems }: { step: FlowStep; doc: EditableFlow; readOnly: boolean; crews: CrewSummary[] | undefined; problems: KeyedProblem[] }) {
  return (
    <>
      <StepHeader step={step} doc={doc} readOnly={readOnly} />
      <Problems problems={problems} />
      {step.kind === 'crew' && <CrewStepFields step={step} readOnly={readOnly} crews={crews} />}
      {step.kind === 'approval' && <ApprovalFields step={step} readOnly={readOnly} />}
      {step.kind === 'router' && (
        <Typography variant="body2" color="text.secondary">
          A router takes the first outgoing edge whose condition holds, else its default edge. Select an edge to set its condition.
        </Typography>
      )}
    </>
  );
}

function CrewStepFields({ step, readOnly, crews }: { step: FlowStep; readOnly: boolean; crews: CrewSummary[] | undefined }) {
  const crewId = step.crew_id ?? '';
  const versions = useQuery({ queryKey: keys.versions(crewId), queryFn: () => crewsApi.versions(crewId), enabled: Boolean(crewId) });
  const crew = useQuery({ queryKey: keys.crew(crewId), queryFn: () => crewsApi.get(crewId), enabled: Boolean(crewId) });
  const mapping = step.inputs ?? {};
  const names = [...new Set([...(crew.data?.inputs ?? []), ...Object.keys(mapping)])];
  const setMapping = (name: string, template: string) => {
    const next = { ...mapping };
    if (template) next[name] = template;
    else delete next[name];
    apply((d) => updateStep(d, step.key, { inputs: next }));
  };
  return (
    <>
      <TextField
        select
        label="Crew"
        value={crewId}
        disabled={readOnly}
        onChange={(e) => apply((d) => updateStep(d, step.key, { crew_id: e.target.value || null, crew_version: null }))}
      >
        <MenuItem value="">None</MenuItem>
        {crews?.map((c) => (
          <MenuItem key={c.id} value={c.id}>
            {c.name}
          </MenuItem>
        ))}
      </TextField>
      <TextField
        select
        label="Version"
        value={step.crew_version ?? ''}
        disabled={readOnly || !crewId}
        onChange={(e) => apply((d) => updateStep(d, step.key, { crew_version: e.target.value === '' ? null : Number(e.target.value) }))}
        helperText="Latest: the crew as it is when the flow starts"
      >
        <MenuItem value="">Latest</MenuItem>
        {versions.data?.map((v) => (
          <MenuItem key={v.version} value={v.version}>
            v{v.version}
          </MenuItem>
        ))}
      </TextField>
      {crewId && (
        <Box>
          <Button size="small" component={Link} to={`/crews/${crewId}`} startIcon={<OpenInNew />}>
            Open crew
          </Button>
        </Box>
      )}
      <FormLabel component="legend">Inputs of the crew</FormLabel>
      <Typography variant="caption" color="text.secondary">
        Templates such as {'${inputs.topic}'} or {'${steps.research.output}'}.
      </Typography>
      {names.length === 0 && (
        <Typography variant="body2" color="text.secondary">
          {crewId ? 'This crew takes no inputs.' : 'Pick a crew first.'}
        </Typography>
      )}
      {names.map((name) => (
        <CommitTextField key={name} size="small" label={`{${name}}`} value={mapping[name] ?? ''} disabled={readOnly} onCommit={(v) => setMapping(name, v)} />
      ))}
    </>
  );
}

function ApprovalFields({ step, readOnly }: { step: FlowStep; readOnly: boolean }) {
  const settings = step.approval!;
  const set = (patch: Partial<ApprovalSettings>) => apply((d) => updateStep(d, step.key, { approval: { ...settings, ...patch } }));
  return (
    <>
      <CommitTextField label="Question" value={settings.question} disabled={readOnly} onCommit={(question) => set({ question })} />
      <CommitTextField
        label="Output to review"
        value={step.review ?? ''}
        multiline
        minRows={2}
        disabled={readOnly}
        helperText="A template, e.g. ${steps.research.output}: shown as Markdown to the reviewer"
        onCommit={(review) => apply((d) => updateStep(d, step.key, { review }))}
      />
      <FormLabel component="legend">Answers allowed</FormLabel>
      <FormGroup row>
        {DECISIONS.map((d) => (
          <FormControlLabel
            key={d}
            label={d}
            control={
              <Checkbox
                checked={settings.answers.includes(d)}
                disabled={readOnly || (settings.answers.length === 1 && settings.answers.includes(d))}
                onChange={(e) => set({ answers: e.target.checked ? DECISIONS.filter((x) => x === d || settings.answers.includes(x)) : settings.answers.filter((x) => x !== d) })}
              />
            }
          />
        ))}
      </FormGroup>
      <CommitTextField
        label="Timeout (seconds)"
        value={settings.timeout_s === null ? '' : String(settings.timeout_s)}
        disabled={readOnly}
        validate={(v) => (v === '' || /^[1-9]\d*$/.test(v) ? null : 'A whole number of seconds, or empty for none')}
        helperText="Empty: waits until someone answers"
        onCommit={(v) => set({ timeout_s: v === '' ? null : Number(v) })}
      />
      <TextField select label="When it times out" value={settings.on_timeout} disabled={readOnly} onChange={(e) => set({ on_timeout: e.target.value as ApprovalSettings['on_timeout'] })}>
        <MenuItem value="approve">approve</MenuItem>
        <MenuItem value="reject">reject</MenuItem>
      </TextField>
      <TextField select label="Who may answer" value={settings.role} disabled={readOnly} onChange={(e) => set({ role: e.target.value as ApprovalSettings['role'] })} helperText="This role and above">
        <MenuItem value="operator">operator</MenuItem>
        <MenuItem value="editor">editor</MenuItem>
        <MenuItem value="admin">admin</MenuItem>
      </TextField>
    </>
  );
}

function EdgeForm({ edge, doc, readOnly, problems }: { edge: FlowEdge; doc: EditableFlow; readOnly: boolean; problems: KeyedProblem[] }) {
  const id = edgeId(edge);
  const kind = doc.steps.find((s) => s.key === edge.source)?.kind;
  const set = (patch: Partial<FlowEdge>) => apply((d) => updateEdge(d, id, patch));
  const when = edge.when ?? null;
  const unary = when?.op === 'exists' || when?.op === 'not_exists';
  return (
    <>
      <Box sx={{ display: 'flex', alignItems: 'center' }}>
        <Typography variant="subtitle1" component="h2" sx={{ flex: 1 }}>
          {edge.source} → {edge.target}
        </Typography>
        <Button size="small" color="error" startIcon={<Delete />} disabled={readOnly} onClick={() => {
          apply((d) => removeEdges(d, [id]));
          useFlowEditor.getState().select({ nodes: [], edges: [] });
        }}>
          Delete edge
        </Button>
      </Box>
      <Problems problems={problems} />
      {kind === 'router' && (
        <>
          <FormControlLabel
            label="Default edge (taken when no condition holds)"
            control={<Checkbox checked={Boolean(edge.default)} disabled={readOnly} onChange={(e) => set(e.target.checked ? { default: true } : { default: false, when: { path: '', op: 'eq', value: null } })} />}
          />
          {!edge.default && (
            <>
              <CommitTextField
                label="Path"
                value={when?.path ?? ''}
                disabled={readOnly}
                helperText="e.g. steps.research.json.score or inputs.topic"
                onCommit={(path) => set({ when: { op: 'eq', value: null, ...when, path } })}
              />
              <TextField select label="Operator" value={when?.op ?? 'eq'} disabled={readOnly} onChange={(e) => set({ when: { path: '', value: null, ...when, op: e.target.value as NonNullable<FlowEdge['when']>['op'] } })}>
                {CONDITION_OPS.map((op) => (
                  <MenuItem key={op} value={op}>
                    {op}
                  </MenuItem>
                ))}
              </TextField>
              {!unary && (
                <CommitTextField
                  label="Value"
                  value={when?.value === null || when?.value === undefined ? '' : String(when.value)}
                  disabled={readOnly}
                  helperText="Numbers and true/false compare as such"
                  onCommit={(v) => set({ when: { path: '', op: 'eq', ...when, value: parseValue(v) } })}
                />
              )}
            </>
          )}
        </>
      )}
      {kind === 'approval' && (
        <TextField select label="Taken on" value={edge.on ?? ''} disabled={readOnly} onChange={(e) => set({ on: (e.target.value || null) as FlowEdge['on'] })}>
          <MenuItem value="approve">approve</MenuItem>
          <MenuItem value="reject">reject</MenuItem>
          <MenuItem value="">any answer that goes on (approve)</MenuItem>
        </TextField>
      )}
      {kind !== 'router' && kind !== 'approval' && (
        <Typography variant="body2" color="text.secondary">
          Always taken. Several edges out of one step run in parallel; a step with several incoming edges waits for each live branch.
        </Typography>
      )}
    </>
  );
}

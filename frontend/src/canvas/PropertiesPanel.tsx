import BookmarkAdd from '@mui/icons-material/BookmarkAdd';
import Delete from '@mui/icons-material/Delete';
import ErrorOutlineOutlined from '@mui/icons-material/ErrorOutlineOutlined';
import WarningAmber from '@mui/icons-material/WarningAmber';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import Divider from '@mui/material/Divider';
import IconButton from '@mui/material/IconButton';
import List from '@mui/material/List';
import ListItem from '@mui/material/ListItem';
import ListItemButton from '@mui/material/ListItemButton';
import ListItemIcon from '@mui/material/ListItemIcon';
import ListItemText from '@mui/material/ListItemText';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import { useQueryClient } from '@tanstack/react-query';
import { errorMessage } from '../api/client';
import { libraryApi } from '../api/endpoints';
import { keys } from '../api/hooks';
import type { Model, Tool } from '../api/types';
import { notify } from '../common/notify';
import AgentForm from './AgentForm';
import MemoryPanel from '../memory/MemoryPanel';
import CrewSettingsForm from './CrewSettingsForm';
import DefaultInputs from './DefaultInputs';
import { allKeys, deriveInputs, disconnect, normalizeAgent, normalizeTask, parseEdgeId, removeNodes, updateAgent, updateSettings, updateTask } from './model';
import ProblemLink from './ProblemLink';
import type { KeyedProblem } from './problems';
import { selectDoc, useEditor } from './store';
import TaskForm from './TaskForm';

interface Props {
  readOnly: boolean;
  models: Model[] | undefined;
  tools: Tool[] | undefined;
  problems: KeyedProblem[];
}

function ProblemList({ problems }: { problems: KeyedProblem[] }) {
  const select = useEditor((s) => s.select);
  if (problems.length === 0)
    return (
      <Typography variant="body2" color="text.secondary">
        No problems found.
      </Typography>
    );
  return (
    <List dense disablePadding aria-label="Problems">
      {problems.map((p, i) => (
        <ListItem key={i} disablePadding sx={{ flexDirection: 'column', alignItems: 'stretch' }}>
          <ListItemButton onClick={() => p.key && select({ nodes: [p.key], edges: [] })} disabled={!p.key} sx={{ '&.Mui-disabled': { opacity: 1 } }}>
            <ListItemIcon sx={{ minWidth: 32 }}>
              {p.severity === 'error' ? <ErrorOutlineOutlined color="error" fontSize="small" /> : <WarningAmber color="warning" fontSize="small" />}
            </ListItemIcon>
            <ListItemText primary={p.message} secondary={p.key ?? 'crew'} />
          </ListItemButton>
          <ProblemLink code={p.code} sx={{ pl: 6, pb: 0.5 }} />
        </ListItem>
      ))}
    </List>
  );
}

export default function PropertiesPanel({ readOnly, models, tools, problems }: Props) {
  const doc = useEditor(selectDoc);
  const crewId = useEditor((s) => s.crewId);
  const selection = useEditor((s) => s.selection);
  const apply = useEditor((s) => s.apply);
  const select = useEditor((s) => s.select);
  const qc = useQueryClient();

  const key = selection.nodes.length === 1 ? selection.nodes[0] : null;
  const agent = key ? doc.agents.find((a) => a.key === key) : undefined;
  const task = key ? doc.tasks.find((t) => t.key === key) : undefined;
  const otherKeys = new Set([...allKeys(doc)].filter((k) => k !== key));

  const removeSelected = () => {
    apply((d) => removeNodes(d, selection.nodes));
    select({ nodes: [], edges: [] });
  };

  const saveToLibrary = async () => {
    try {
      if (agent) {
        // Knowledge bases are the crew's choice: a library agent has none.
        const { key: _key, knowledge: _knowledge, ...fields } = normalizeAgent(agent, true);
        await libraryApi.saveAgent(fields);
        void qc.invalidateQueries({ queryKey: keys.libraryAgents });
      } else if (task) {
        // A library task belongs to no crew: it has no agent and no context (the server refuses them).
        const { key: _key, agent: _agent, context: _context, ...fields } = normalizeTask(task, true);
        await libraryApi.saveTask(fields);
        void qc.invalidateQueries({ queryKey: keys.libraryTasks });
      }
      notify('Saved to the library', 'success');
    } catch (e) {
      notify(errorMessage(e), 'error');
    }
  };

  if (agent || task) {
    const kind = agent ? 'Agent' : 'Task';
    return (
      <Box sx={{ p: 2 }}>
        <Box sx={{ display: 'flex', alignItems: 'center', mb: 1.5 }}>
          <Typography variant="subtitle1" component="h2" sx={{ flex: 1 }}>
            {kind} <Chip size="small" label={key} sx={{ ml: 0.5 }} />
          </Typography>
          <Tooltip title="Save a copy to the group's library">
            <span>
              <IconButton aria-label={`Save ${kind.toLowerCase()} to library`} onClick={saveToLibrary} disabled={readOnly}>
                <BookmarkAdd />
              </IconButton>
            </span>
          </Tooltip>
          <Tooltip title={`Delete ${kind.toLowerCase()} (Del)`}>
            <span>
              <IconButton aria-label={`Delete ${kind.toLowerCase()}`} onClick={removeSelected} disabled={readOnly}>
                <Delete />
              </IconButton>
            </span>
          </Tooltip>
        </Box>
        {agent && (
          <AgentForm
            key={agent.key}
            agent={agent}
            otherKeys={otherKeys}
            models={models}
            tools={tools}
            readOnly={readOnly}
            onChange={(patch) => {
              apply((d) => updateAgent(d, agent.key, patch));
              if (patch.key && patch.key !== agent.key) select({ nodes: [patch.key], edges: [] });
            }}
          />
        )}
        {task && (
          <TaskForm
            key={task.key}
            task={task}
            agents={doc.agents}
            otherTasks={doc.tasks.filter((t) => t.key !== task.key)}
            otherKeys={otherKeys}
            tools={tools}
            readOnly={readOnly}
            onChange={(patch) => {
              apply((d) => updateTask(d, task.key, patch));
              if (patch.key && patch.key !== task.key) select({ nodes: [patch.key], edges: [] });
            }}
          />
        )}
        {problems.some((p) => p.key === key) && (
          <>
            <Divider sx={{ my: 2 }} />
            <ProblemList problems={problems.filter((p) => p.key === key)} />
          </>
        )}
      </Box>
    );
  }

  if (selection.edges.length > 0 && selection.nodes.length === 0) {
    return (
      <Box sx={{ p: 2 }}>
        <Typography variant="subtitle1" component="h2" gutterBottom>
          Connection{selection.edges.length > 1 ? 's' : ''}
        </Typography>
        {selection.edges.map((id) => {
          const e = parseEdgeId(id);
          if (!e) return null;
          const isAgent = doc.agents.some((a) => a.key === e.source);
          return (
            <Typography key={id} variant="body2" gutterBottom>
              {isAgent ? `Agent "${e.source}" does task "${e.target}"` : `Task "${e.target}" uses the output of "${e.source}"`}
            </Typography>
          );
        })}
        <Button
          startIcon={<Delete />}
          color="error"
          disabled={readOnly}
          onClick={() => {
            apply((d) =>
              selection.edges.reduce((acc, id) => {
                const e = parseEdgeId(id);
                return e ? disconnect(acc, e.source, e.target) : acc;
              }, d),
            );
            select({ nodes: [], edges: [] });
          }}
        >
          Remove connection
        </Button>
      </Box>
    );
  }

  const inputs = deriveInputs(doc);
  return (
    <Box sx={{ p: 2 }}>
      <Typography variant="subtitle1" component="h2" gutterBottom>
        Crew settings
      </Typography>
      <CrewSettingsForm doc={doc} models={models} readOnly={readOnly} onChange={(patch) => apply((d) => updateSettings(d, patch))} />
      {crewId && (doc.memory === 'crew' || doc.memory === 'group') && (
        <>
          <Divider sx={{ my: 2 }} />
          <MemoryPanel crewId={crewId} scope={doc.memory} readOnly={readOnly} />
        </>
      )}
      <Divider sx={{ my: 2 }} />
      <Typography variant="subtitle2" component="h3" gutterBottom>
        Inputs
      </Typography>
      <Box sx={{ mb: 2 }}>
        <DefaultInputs
          inputs={inputs}
          defaults={doc.default_inputs ?? {}}
          readOnly={readOnly}
          onChange={(default_inputs) => apply((d) => updateSettings(d, { default_inputs }))}
        />
      </Box>
      <Typography variant="subtitle2" component="h3" gutterBottom>
        Problems
      </Typography>
      <ProblemList problems={problems} />
    </Box>
  );
}

import Add from '@mui/icons-material/Add';
import SmartToy from '@mui/icons-material/SmartToy';
import TaskAlt from '@mui/icons-material/TaskAlt';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import List from '@mui/material/List';
import ListItemButton from '@mui/material/ListItemButton';
import ListItemIcon from '@mui/material/ListItemIcon';
import ListItemText from '@mui/material/ListItemText';
import ListSubheader from '@mui/material/ListSubheader';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useState, type DragEvent } from 'react';
import { useLibraryAgents, useLibraryTasks } from '../api/hooks';
import { DND_TYPE, type PaletteDrop } from './Canvas';

interface Props {
  readOnly: boolean;
  onAdd: (item: PaletteDrop) => void;
}

function dragProps(item: PaletteDrop, readOnly: boolean) {
  return {
    draggable: !readOnly,
    onDragStart: (e: DragEvent) => {
      e.dataTransfer.setData(DND_TYPE, JSON.stringify(item));
      e.dataTransfer.effectAllowed = 'copy';
    },
  };
}

/** New nodes and the group's library: click to add, or drag onto the canvas. */
export default function Palette({ readOnly, onAdd }: Props) {
  const agents = useLibraryAgents(!readOnly);
  const tasks = useLibraryTasks(!readOnly);
  const [filter, setFilter] = useState('');
  const f = filter.trim().toLowerCase();
  const libAgents = (agents.data ?? []).filter((a) => !f || a.role.toLowerCase().includes(f));
  const libTasks = (tasks.data ?? []).filter((t) => !f || t.name.toLowerCase().includes(f) || t.description.toLowerCase().includes(f));
  return (
    <Box
      component="aside"
      aria-label="Palette"
      sx={{ width: 220, flexShrink: 0, borderRight: 1, borderColor: 'divider', display: 'flex', flexDirection: 'column', minHeight: 0 }}
    >
      <Box sx={{ p: 1.5, display: 'flex', flexDirection: 'column', gap: 1 }}>
        <Button
          variant="outlined"
          startIcon={<Add />}
          disabled={readOnly}
          onClick={() => onAdd({ kind: 'agent' })}
          {...dragProps({ kind: 'agent' }, readOnly)}
          data-testid="palette-new-agent"
        >
          New agent
        </Button>
        <Button
          variant="outlined"
          color="secondary"
          startIcon={<Add />}
          disabled={readOnly}
          onClick={() => onAdd({ kind: 'task' })}
          {...dragProps({ kind: 'task' }, readOnly)}
          data-testid="palette-new-task"
        >
          New task
        </Button>
        <Typography variant="caption" color="text.secondary">
          Click to add, or drag onto the canvas. Connect an agent to a task to assign it; a task to a task to pass its output.
        </Typography>
      </Box>
      {!readOnly && (
        <>
          <Box sx={{ px: 1.5 }}>
            <TextField label="Search library" value={filter} onChange={(e) => setFilter(e.target.value)} fullWidth />
          </Box>
          <List dense sx={{ overflow: 'auto', flex: 1 }} aria-label="Library">
            <ListSubheader sx={{ bgcolor: 'background.default' }}>Library agents</ListSubheader>
            {libAgents.map((a) => (
              <ListItemButton
                key={a.id}
                onClick={() => onAdd({ kind: 'library-agent', id: a.id })}
                {...dragProps({ kind: 'library-agent', id: a.id }, readOnly)}
                aria-label={`Add library agent ${a.role}`}
              >
                <ListItemIcon sx={{ minWidth: 32 }}>
                  <SmartToy fontSize="small" color="primary" />
                </ListItemIcon>
                <ListItemText primary={a.role} secondary={a.llm ?? undefined} />
              </ListItemButton>
            ))}
            {agents.data?.length === 0 && <ListItemText sx={{ px: 2 }} secondary="No saved agents" />}
            <ListSubheader sx={{ bgcolor: 'background.default' }}>Library tasks</ListSubheader>
            {libTasks.map((t) => (
              <ListItemButton
                key={t.id}
                onClick={() => onAdd({ kind: 'library-task', id: t.id })}
                {...dragProps({ kind: 'library-task', id: t.id }, readOnly)}
                aria-label={`Add library task ${t.name}`}
              >
                <ListItemIcon sx={{ minWidth: 32 }}>
                  <TaskAlt fontSize="small" color="secondary" />
                </ListItemIcon>
                <ListItemText primary={t.name} />
              </ListItemButton>
            ))}
            {tasks.data?.length === 0 && <ListItemText sx={{ px: 2 }} secondary="No saved tasks" />}
          </List>
        </>
      )}
    </Box>
  );
}

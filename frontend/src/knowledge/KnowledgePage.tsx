import Add from '@mui/icons-material/Add';
import Delete from '@mui/icons-material/Delete';
import Edit from '@mui/icons-material/Edit';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Divider from '@mui/material/Divider';
import IconButton from '@mui/material/IconButton';
import List from '@mui/material/List';
import ListItemButton from '@mui/material/ListItemButton';
import ListItemText from '@mui/material/ListItemText';
import Paper from '@mui/material/Paper';
import Typography from '@mui/material/Typography';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { errorMessage } from '../api/client';
import { knowledgeApi } from '../api/endpoints';
import { keys, useKnowledgeBases, useModels, usePermissions } from '../api/hooks';
import type { KnowledgeBase, KnowledgeBaseCreate } from '../api/types';
import ConfirmDialog from '../common/ConfirmDialog';
import { notify } from '../common/notify';
import PageLoader from '../common/PageLoader';
import { plural } from '../common/format';
import BaseDialog from './BaseDialog';
import FileTable from './FileTable';
import SearchBox from './SearchBox';

type Editing = { base?: KnowledgeBase } | null;

function counts(base: KnowledgeBase): string {
  const { ready, queued, processing, failed } = base.files;
  const parts = [plural(ready, 'file') + ' ready'];
  if (queued + processing) parts.push(`${queued + processing} ingesting`);
  if (failed) parts.push(`${failed} failed`);
  return parts.join(' · ');
}

/** The group's knowledge bases: make them, upload documents, watch ingestion, ask questions. */
export default function KnowledgePage() {
  const qc = useQueryClient();
  const { canEdit } = usePermissions();
  const bases = useKnowledgeBases();
  const models = useModels();
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [editing, setEditing] = useState<Editing>(null);
  const [deleting, setDeleting] = useState<KnowledgeBase | null>(null);
  const selected = bases.data?.find((b) => b.id === selectedId) ?? bases.data?.[0];
  const refresh = () => qc.invalidateQueries({ queryKey: keys.knowledge });

  const save = useMutation({
    mutationFn: ({ base, body }: { base?: KnowledgeBase; body: KnowledgeBaseCreate }) =>
      base ? knowledgeApi.update(base.id, { name: body.name, description: body.description }) : knowledgeApi.create(body),
    onSuccess: (saved, { base }) => {
      notify(base ? 'Knowledge base saved' : 'Knowledge base created', 'success');
      setEditing(null);
      setSelectedId(saved.id);
      void refresh();
    },
  });
  const remove = useMutation({
    mutationFn: (base: KnowledgeBase) => knowledgeApi.remove(base.id),
    onSuccess: () => {
      notify('Knowledge base deleted', 'success');
      setDeleting(null);
      setSelectedId(null);
      void refresh();
    },
    onError: (e) => notify(errorMessage(e), 'error'),
  });

  if (bases.isPending) return <PageLoader label="Loading knowledge bases" />;
  return (
    <Box sx={{ display: 'flex', flex: 1, minHeight: 0 }}>
      <Paper square variant="outlined" sx={{ width: 300, display: 'flex', flexDirection: 'column', borderTop: 0, borderBottom: 0 }}>
        <Box sx={{ p: 2, display: 'flex', alignItems: 'center' }}>
          <Typography variant="h6" component="h1" sx={{ flex: 1 }}>
            Knowledge
          </Typography>
          <Button size="small" startIcon={<Add />} disabled={!canEdit} onClick={() => setEditing({})}>
            New
          </Button>
        </Box>
        {bases.error && <Alert severity="error">{errorMessage(bases.error)}</Alert>}
        <List dense aria-label="Knowledge bases" sx={{ overflow: 'auto' }}>
          {bases.data?.map((b) => (
            <ListItemButton key={b.id} selected={b.id === selected?.id} onClick={() => setSelectedId(b.id)}>
              <ListItemText primary={b.name} secondary={counts(b)} />
            </ListItemButton>
          ))}
        </List>
        {bases.data?.length === 0 && (
          <Typography color="text.secondary" sx={{ px: 2 }}>
            No knowledge bases yet. Make one, upload documents, and give it to agents in the crew editor.
          </Typography>
        )}
      </Paper>
      {selected && (
        <Box sx={{ flex: 1, p: 3, overflow: 'auto', display: 'flex', flexDirection: 'column', gap: 2 }}>
          <Box sx={{ display: 'flex', alignItems: 'flex-start', gap: 1 }}>
            <Box sx={{ flex: 1 }}>
              <Typography variant="h5" component="h2">
                {selected.name}
              </Typography>
              {selected.description && <Typography color="text.secondary">{selected.description}</Typography>}
              <Typography variant="caption" color="text.secondary">
                Embedding model {selected.embedding_model} · chunks of {selected.chunk_size} characters, {selected.chunk_overlap} overlap
              </Typography>
            </Box>
            <IconButton aria-label="Edit knowledge base" disabled={!canEdit} onClick={() => setEditing({ base: selected })}>
              <Edit />
            </IconButton>
            <IconButton aria-label="Delete knowledge base" disabled={!canEdit} onClick={() => setDeleting(selected)}>
              <Delete />
            </IconButton>
          </Box>
          <FileTable key={selected.id} baseId={selected.id} canEdit={canEdit} />
          <Divider />
          <SearchBox key={`search-${selected.id}`} baseId={selected.id} />
        </Box>
      )}
      {editing && (
        <BaseDialog
          base={editing.base}
          models={models.data}
          busy={save.isPending}
          error={save.error ? errorMessage(save.error) : null}
          onSubmit={(body) => save.mutate({ base: editing.base, body })}
          onCancel={() => {
            setEditing(null);
            save.reset();
          }}
        />
      )}
      <ConfirmDialog
        open={deleting !== null}
        title="Delete knowledge base?"
        message={`${deleting?.name ?? ''}, its files and their chunks are removed. Agents naming it can no longer run until it is taken off them.`}
        confirmLabel="Delete"
        destructive
        busy={remove.isPending}
        onConfirm={() => deleting && remove.mutate(deleting)}
        onCancel={() => setDeleting(null)}
      />
    </Box>
  );
}

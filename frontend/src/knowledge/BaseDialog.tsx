import MenuItem from '@mui/material/MenuItem';
import TextField from '@mui/material/TextField';
import { useState } from 'react';
import type { KnowledgeBase, KnowledgeBaseCreate, Model } from '../api/types';
import FormDialog from '../settings/FormDialog';

export const DEFAULT_EMBEDDER = 'wordllama-l2-256';

interface Props {
  /** The base being edited; none: a new one. */
  base?: KnowledgeBase;
  models: Model[] | undefined;
  busy: boolean;
  error: string | null;
  onSubmit: (body: KnowledgeBaseCreate) => void;
  onCancel: () => void;
}

/** Make or rename a base. The embedding model and the chunking are chosen once: chunks
 * embedded by one model cannot be searched with another's (the server refuses a change). */
export default function BaseDialog({ base, models, busy, error, onSubmit, onCancel }: Props) {
  const [name, setName] = useState(base?.name ?? '');
  const [description, setDescription] = useState(base?.description ?? '');
  const [model, setModel] = useState(base?.embedding_model ?? DEFAULT_EMBEDDER);
  const [chunkSize, setChunkSize] = useState(String(base?.chunk_size ?? 1000));
  const [overlap, setOverlap] = useState(String(base?.chunk_overlap ?? 150));
  const embedders = (models ?? []).filter((m) => m.kind === 'embedding');
  const submit = () =>
    onSubmit({
      name: name.trim(),
      description,
      embedding_model: model,
      chunk_size: Number.parseInt(chunkSize, 10),
      chunk_overlap: Number.parseInt(overlap, 10),
    });
  return (
    <FormDialog title={base ? 'Edit knowledge base' : 'New knowledge base'} submitLabel={base ? 'Save' : 'Create'} busy={busy || !name.trim()} error={error} onSubmit={submit} onCancel={onCancel}>
      <TextField label="Name" value={name} onChange={(e) => setName(e.target.value)} required autoFocus />
      <TextField label="Description" value={description} onChange={(e) => setDescription(e.target.value)} multiline minRows={2} />
      <TextField
        select
        label="Embedding model"
        value={model}
        onChange={(e) => setModel(e.target.value)}
        disabled={Boolean(base)}
        helperText={base ? 'Fixed once the base is made' : 'wordllama-l2-256 runs offline, with no key'}
      >
        {embedders.map((m) => (
          <MenuItem key={m.key} value={m.key} disabled={!m.enabled || !m.has_key}>
            {m.label} ({m.key})
          </MenuItem>
        ))}
        {!embedders.some((m) => m.key === model) && <MenuItem value={model}>{model}</MenuItem>}
      </TextField>
      <TextField
        label="Chunk size (characters)"
        value={chunkSize}
        onChange={(e) => setChunkSize(e.target.value)}
        disabled={Boolean(base)}
        slotProps={{ htmlInput: { inputMode: 'numeric' } }}
      />
      <TextField
        label="Chunk overlap (characters)"
        value={overlap}
        onChange={(e) => setOverlap(e.target.value)}
        disabled={Boolean(base)}
        helperText="Each chunk repeats the end of the one before, so a fact on a boundary stays whole"
        slotProps={{ htmlInput: { inputMode: 'numeric' } }}
      />
    </FormDialog>
  );
}

import Delete from '@mui/icons-material/Delete';
import Upload from '@mui/icons-material/Upload';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import IconButton from '@mui/material/IconButton';
import LinearProgress from '@mui/material/LinearProgress';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { errorMessage } from '../api/client';
import { knowledgeApi } from '../api/endpoints';
import { keys } from '../api/hooks';
import type { KnowledgeFile, KnowledgeFileStatus } from '../api/types';
import { notify } from '../common/notify';
import { EmptyRow } from '../common/TableParts';
import { ACCEPT, formatBytes, pending } from './files';

const POLL_MS = 1000;

const COLORS: Record<KnowledgeFileStatus, 'default' | 'info' | 'success' | 'error'> = {
  queued: 'default',
  processing: 'info',
  ready: 'success',
  failed: 'error',
};

function Progress({ file }: { file: KnowledgeFile }) {
  if (file.status === 'failed') {
    return (
      <Typography variant="caption" color="error" role="status" sx={{ overflowWrap: 'anywhere' }}>
        {file.error ?? 'Ingestion failed'}
      </Typography>
    );
  }
  if (file.status === 'ready') return <Typography variant="caption">{file.chunks_done} chunks</Typography>;
  const total = file.chunks_total;
  return (
    <Box sx={{ minWidth: 140 }}>
      <LinearProgress variant={total ? 'determinate' : 'indeterminate'} value={total ? (100 * file.chunks_done) / total : undefined} aria-label={`Ingesting ${file.name}`} />
      <Typography variant="caption">{total ? `${file.chunks_done} / ${total} chunks` : file.status}</Typography>
    </Box>
  );
}

interface Sending {
  name: string;
  sent: number;
}

/** A base's files: upload (each file with its own progress), then each file's ingestion
 * status, progress and, when it failed, the reason. */
export default function FileTable({ baseId, canEdit }: { baseId: string; canEdit: boolean }) {
  const qc = useQueryClient();
  const input = useRef<HTMLInputElement>(null);
  const [sending, setSending] = useState<Record<string, Sending>>({});
  const files = useQuery({
    queryKey: keys.knowledgeFiles(baseId),
    queryFn: () => knowledgeApi.files(baseId),
    refetchInterval: (query) => (pending(query.state.data) ? POLL_MS : false),
  });
  const refresh = () => qc.invalidateQueries({ queryKey: keys.knowledge });
  // Each new answer on the files (a poll while they are ingested) brings the bases' counts up
  // to date; only the list of bases, or the files would be fetched again at once.
  const { dataUpdatedAt } = files;
  useEffect(() => {
    void qc.invalidateQueries({ queryKey: keys.knowledge, exact: true });
  }, [qc, dataUpdatedAt]);
  const remove = useMutation({
    mutationFn: (fileId: string) => knowledgeApi.removeFile(baseId, fileId),
    onSuccess: () => {
      notify('File removed with its chunks', 'success');
      void refresh();
    },
    onError: (e) => notify(errorMessage(e), 'error'),
  });

  const uploadOne = async (file: File, id: string) => {
    try {
      await knowledgeApi.upload(baseId, file, (sent) => setSending((all) => ({ ...all, [id]: { name: file.name, sent } })));
    } catch (e) {
      notify(`${file.name}: ${errorMessage(e)}`, 'error');
    } finally {
      setSending(({ [id]: _done, ...rest }) => rest);
      void refresh();
    }
  };
  const upload = (list: FileList | null) => {
    const chosen = [...(list ?? [])];
    const ids = chosen.map((f, i) => `${Date.now()}-${i}-${f.name}`);
    setSending((all) => ({ ...all, ...Object.fromEntries(chosen.map((f, i) => [ids[i], { name: f.name, sent: 0 }])) }));
    void Promise.all(chosen.map((f, i) => uploadOne(f, ids[i])));
    if (input.current) input.current.value = '';
  };

  return (
    <Box>
      <Box sx={{ display: 'flex', alignItems: 'center', gap: 1, mb: 1 }}>
        <Typography variant="subtitle2" component="h3" sx={{ flex: 1 }}>
          Files
        </Typography>
        <input ref={input} type="file" multiple accept={ACCEPT} hidden aria-label="Files to upload" onChange={(e) => upload(e.target.files)} />
        <Button startIcon={<Upload />} variant="outlined" size="small" disabled={!canEdit} onClick={() => input.current?.click()}>
          Upload files
        </Button>
      </Box>
      {Object.entries(sending).map(([id, s]) => (
        <Box key={id} sx={{ mb: 1 }} data-testid="upload-progress">
          <Typography variant="caption">Uploading {s.name}…</Typography>
          <LinearProgress variant="determinate" value={100 * s.sent} aria-label={`Uploading ${s.name}`} />
        </Box>
      ))}
      <Table size="small" aria-label="Files">
        <TableHead>
          <TableRow>
            <TableCell>Name</TableCell>
            <TableCell>Size</TableCell>
            <TableCell>Status</TableCell>
            <TableCell>Progress</TableCell>
            <TableCell align="right">Actions</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {files.data?.map((f) => (
            <TableRow key={f.id} data-testid={`file-row-${f.name}`}>
              <TableCell sx={{ overflowWrap: 'anywhere' }}>{f.name}</TableCell>
              <TableCell>{formatBytes(f.size)}</TableCell>
              <TableCell>
                <Chip size="small" label={f.status} color={COLORS[f.status]} data-status={f.status} />
              </TableCell>
              <TableCell sx={{ maxWidth: 320 }}>
                <Progress file={f} />
              </TableCell>
              <TableCell align="right">
                <IconButton aria-label={`Delete ${f.name}`} disabled={!canEdit || remove.isPending} onClick={() => remove.mutate(f.id)}>
                  <Delete />
                </IconButton>
              </TableCell>
            </TableRow>
          ))}
          {files.data?.length === 0 && <EmptyRow colSpan={5}>No files yet. Upload PDF, Word, Markdown, text, HTML or CSV files.</EmptyRow>}
        </TableBody>
      </Table>
    </Box>
  );
}

import Close from '@mui/icons-material/Close';
import Restore from '@mui/icons-material/Restore';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import Drawer from '@mui/material/Drawer';
import IconButton from '@mui/material/IconButton';
import List from '@mui/material/List';
import ListItem from '@mui/material/ListItem';
import ListItemButton from '@mui/material/ListItemButton';
import ListItemText from '@mui/material/ListItemText';
import Typography from '@mui/material/Typography';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { errorMessage } from '../api/client';
import type { VersionEntry, VersionSource } from './versions';
import ConfirmDialog from '../common/ConfirmDialog';
import { formatTime } from '../common/format';
import { notify } from '../common/notify';

interface Props<D> {
  open: boolean;
  source: VersionSource<D>;
  currentVersion: number;
  dirty: boolean;
  readOnly: boolean;
  onClose: () => void;
  onRestored: (doc: D) => void;
}

export default function VersionsDrawer<D>({ open, source, currentVersion, dirty, readOnly, onClose, onRestored }: Props<D>) {
  const versions = useQuery({ queryKey: [...source.queryKey, currentVersion], queryFn: source.list, enabled: open });
  const [preview, setPreview] = useState<number | null>(null);
  const [confirm, setConfirm] = useState<VersionEntry | null>(null);
  const previewDoc = useQuery({
    queryKey: [...source.queryKey, 'doc', preview],
    queryFn: () => source.get(preview!),
    enabled: open && preview !== null,
  });
  const restore = useMutation({
    mutationFn: (n: number) => source.restore(n),
    onSuccess: (doc) => {
      setConfirm(null);
      notify(`Restored version ${confirm?.version} as version ${doc.version}`, 'success');
      onRestored(doc);
    },
    onError: (e) => notify(errorMessage(e), 'error'),
  });
  const sorted = [...(versions.data ?? [])].sort((a, b) => b.version - a.version);
  return (
    <Drawer anchor="right" open={open} onClose={onClose} slotProps={{ paper: { sx: { width: 380 } } }}>
      <Box sx={{ display: 'flex', alignItems: 'center', p: 2, pb: 1 }}>
        <Typography variant="h6" component="h2" sx={{ flex: 1 }}>
          Version history
        </Typography>
        <IconButton aria-label="Close version history" onClick={onClose}>
          <Close />
        </IconButton>
      </Box>
      {versions.isError && <Alert severity="error">{errorMessage(versions.error)}</Alert>}
      <List aria-label="Versions" dense>
        {sorted.map((v) => (
          <Box key={v.version}>
            <ListItem
              disablePadding
              secondaryAction={
                v.version !== currentVersion && (
                  <IconButton edge="end" aria-label={`Restore version ${v.version}`} disabled={readOnly} onClick={() => setConfirm(v)}>
                    <Restore />
                  </IconButton>
                )
              }
            >
              <ListItemButton selected={preview === v.version} onClick={() => setPreview(preview === v.version ? null : v.version)}>
                <ListItemText
                  primary={
                    <>
                      Version {v.version} {v.version === currentVersion && <Chip size="small" label="current" sx={{ ml: 1 }} />}
                    </>
                  }
                  secondary={`${formatTime(v.created_at)}${v.author_email ? ` · ${v.author_email}` : ''}`}
                />
              </ListItemButton>
            </ListItem>
            {preview === v.version && previewDoc.data && (
              <Box sx={{ px: 3, pb: 1 }}>
                {source.summary(previewDoc.data).map((line, i) => (
                  <Typography key={i} variant="caption" component="div" color={i ? 'text.secondary' : undefined}>
                    {line}
                  </Typography>
                ))}
              </Box>
            )}
          </Box>
        ))}
      </List>
      <ConfirmDialog
        open={Boolean(confirm)}
        title={`Restore version ${confirm?.version}?`}
        message={
          <>
            The {source.what} becomes a copy of version {confirm?.version}, saved as a new version; history is kept.
            {dirty && <Box sx={{ mt: 1, color: 'warning.main' }}>Your unsaved changes will be lost.</Box>}
          </>
        }
        confirmLabel="Restore"
        busy={restore.isPending}
        onConfirm={() => confirm && restore.mutate(confirm.version)}
        onCancel={() => setConfirm(null)}
      />
      <Box sx={{ p: 2 }}>
        <Button onClick={onClose}>Close</Button>
      </Box>
    </Drawer>
  );
}

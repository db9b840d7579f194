import UploadFile from '@mui/icons-material/UploadFile';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import Typography from '@mui/material/Typography';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError, errorMessage } from '../api/client';
import type { ErrorDetail } from '../api/types';

interface Props<T> {
  open: boolean;
  /** What is imported: "crew", "flow". */
  what: string;
  /** The formats the file may be in, as the user reads them. */
  hint: string;
  importFile: (file: File) => Promise<T>;
  onClose: () => void;
  onImported: (doc: T) => void;
}

/** Where a problem is: a file and line (a crew's import) or a JSON pointer (a flow's). */
function where(d: ErrorDetail): string {
  return [d.file, d.line !== undefined && d.line !== null ? `line ${d.line}` : null, d.pointer].filter(Boolean).join(', ');
}

/** Upload a file to an import route; the problems it reports are listed by file and line. */
export default function ImportDialog<T>({ open, what, hint, importFile, onClose, onImported }: Props<T>) {
  const [file, setFile] = useState<File | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [details, setDetails] = useState<ErrorDetail[]>([]);
  const importCrew = useMutation({
    mutationFn: importFile,
    onSuccess: (doc) => {
      close();
      onImported(doc);
    },
    onError: (e) => {
      setError(errorMessage(e instanceof ApiError ? new ApiError(e.status, e.code, e.message) : e));
      setDetails(e instanceof ApiError ? e.details : []);
    },
  });
  const close = () => {
    setFile(null);
    setError(null);
    setDetails([]);
    onClose();
  };
  return (
    <Dialog open={open} onClose={close} fullWidth maxWidth="sm" aria-labelledby="import-title">
      <DialogTitle id="import-title">Import a {what}</DialogTitle>
      <DialogContent>
        <Typography variant="body2" color="text.secondary" gutterBottom>
          {hint}
        </Typography>
        <Box sx={{ display: 'flex', alignItems: 'center', gap: 2, my: 2 }}>
          <Button component="label" variant="outlined" startIcon={<UploadFile />}>
            Choose file
            <input
              hidden
              type="file"
              accept=".yaml,.yml,.json,application/json,application/x-yaml,text/yaml"
              aria-label={`${what[0].toUpperCase()}${what.slice(1)} file`}
              onChange={(e) => {
                setFile(e.target.files?.[0] ?? null);
                setError(null);
                setDetails([]);
              }}
            />
          </Button>
          <Typography variant="body2">{file ? file.name : 'No file chosen'}</Typography>
        </Box>
        {error && (
          <Alert severity="error" role="alert">
            {error}
            {details.length > 0 && (
              <Box component="ul" sx={{ m: 0, pl: 2 }}>
                {details.map((d, i) => (
                  <li key={i}>
                    {where(d) ? `${where(d)}: ` : ''}
                    {d.message}
                  </li>
                ))}
              </Box>
            )}
          </Alert>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={close}>Cancel</Button>
        <Button variant="contained" disabled={!file || importCrew.isPending} onClick={() => file && importCrew.mutate(file)}>
          Import
        </Button>
      </DialogActions>
    </Dialog>
  );
}

import Download from '@mui/icons-material/Download';
import Alert from '@mui/material/Alert';
import Link from '@mui/material/Link';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import { useQuery } from '@tanstack/react-query';
import { errorMessage } from '../api/client';
import { executionsApi } from '../api/endpoints';
import { keys } from '../api/hooks';
import type { RunFile } from '../api/types';
import { formatNumber, formatTime, saveBlob } from '../common/format';
import { notify } from '../common/notify';
import { EmptyRow } from '../common/TableParts';

/**
 * The files a run left in its folder: tasks' output files and what agents wrote. A download
 * goes through the API client (it carries the sign-in), then is saved under the file's name.
 */
export default function RunFilesList({ executionId, finished }: { executionId: string; finished: boolean }) {
  const files = useQuery({
    queryKey: keys.files(executionId),
    queryFn: () => executionsApi.files(executionId),
    refetchInterval: finished ? false : 3000,
  });
  const download = async (file: RunFile) => {
    try {
      const { blob } = await executionsApi.downloadFile(executionId, file.path);
      saveBlob(blob, file.path.split('/').pop() ?? file.path);
    } catch (e) {
      notify(errorMessage(e), 'error');
    }
  };
  if (files.isError) return <Alert severity="warning">{errorMessage(files.error)}</Alert>;
  return (
    <>
      <Table size="small" aria-label="Run files">
        <TableHead>
          <TableRow>
            <TableCell>File</TableCell>
            <TableCell align="right">Size</TableCell>
            <TableCell>Modified</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {files.data?.files.map((f) => (
            <TableRow key={f.path} data-testid={`run-file-${f.path}`}>
              <TableCell>
                <Link component="button" type="button" onClick={() => void download(f)} aria-label={`Download ${f.path}`} sx={{ display: 'inline-flex', alignItems: 'center', gap: 0.5 }}>
                  <Download fontSize="inherit" />
                  {f.path}
                </Link>
              </TableCell>
              <TableCell align="right">{formatNumber(f.size)} B</TableCell>
              <TableCell>{formatTime(f.modified_at)}</TableCell>
            </TableRow>
          ))}
          {files.data?.files.length === 0 && (
            <EmptyRow colSpan={3}>No files {finished ? 'were written' : 'yet'}: give a task an output file to keep its output here.</EmptyRow>
          )}
        </TableBody>
      </Table>
      {files.data?.truncated && (
        <Typography variant="caption" color="text.secondary">
          Only the first {files.data.files.length} files are listed.
        </Typography>
      )}
    </>
  );
}

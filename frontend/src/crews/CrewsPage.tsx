import Add from '@mui/icons-material/Add';
import ContentCopy from '@mui/icons-material/ContentCopy';
import Delete from '@mui/icons-material/Delete';
import Download from '@mui/icons-material/Download';
import Search from '@mui/icons-material/Search';
import UploadFile from '@mui/icons-material/UploadFile';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import IconButton from '@mui/material/IconButton';
import InputAdornment from '@mui/material/InputAdornment';
import Link from '@mui/material/Link';
import Menu from '@mui/material/Menu';
import MenuItem from '@mui/material/MenuItem';
import Paper from '@mui/material/Paper';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import TextField from '@mui/material/TextField';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link as RouterLink, useNavigate } from 'react-router';
import { errorMessage } from '../api/client';
import { crewsApi } from '../api/endpoints';
import { keys, usePermissions } from '../api/hooks';
import type { CrewSummary } from '../api/types';
import ConfirmDialog from '../common/ConfirmDialog';
import { formatTime, saveBlob, slugify } from '../common/format';
import { notify } from '../common/notify';
import PageLoader from '../common/PageLoader';
import GeneratePrompt from '../generate/GeneratePrompt';
import CreateCrewDialog from './CreateCrewDialog';
import ImportDialog from '../common/ImportDialog';
import { EmptyRow, LoadMore } from '../common/TableParts';

function useDebounced<T>(value: T, ms: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return debounced;
}

export default function CrewsPage() {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const { canEdit } = usePermissions();
  const [search, setSearch] = useState('');
  const [sort, setSort] = useState<'name' | '-updated_at'>('-updated_at');
  const q = useDebounced(search.trim(), 250);
  const [creating, setCreating] = useState(false);
  const [importing, setImporting] = useState(false);
  const [deleting, setDeleting] = useState<CrewSummary | null>(null);
  const [exportMenu, setExportMenu] = useState<{ anchor: HTMLElement; crew: CrewSummary } | null>(null);

  const crews = useInfiniteQuery({
    queryKey: [...keys.crews, { q, sort }],
    queryFn: ({ pageParam }) => crewsApi.list({ q, sort, cursor: pageParam }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
  });
  const items = crews.data?.pages.flatMap((p) => p.items) ?? [];

  const duplicate = useMutation({
    mutationFn: (id: string) => crewsApi.duplicate(id),
    onSuccess: (doc) => {
      notify(`Created "${doc.name}"`, 'success');
      void qc.invalidateQueries({ queryKey: keys.crews });
    },
    onError: (e) => notify(errorMessage(e), 'error'),
  });
  const remove = useMutation({
    mutationFn: (id: string) => crewsApi.remove(id),
    onSuccess: () => {
      notify('Crew deleted', 'success');
      setDeleting(null);
      void qc.invalidateQueries({ queryKey: keys.crews });
    },
    onError: (e) => notify(errorMessage(e), 'error'),
  });

  const exportCrew = async (crew: CrewSummary, format: 'yaml' | 'json') => {
    setExportMenu(null);
    try {
      const { blob, filename } = await crewsApi.exportFile(crew.id, format);
      saveBlob(blob, filename ?? `${slugify(crew.name) || 'crew'}.${format}`);
    } catch (e) {
      notify(errorMessage(e), 'error');
    }
  };

  return (
    <Box sx={{ p: 3, maxWidth: 1200, width: '100%', mx: 'auto' }}>
      <Box sx={{ display: 'flex', alignItems: 'center', gap: 1, mb: 2 }}>
        <Typography variant="h5" component="h1" sx={{ flex: 1 }}>
          Crews
        </Typography>
        <Button startIcon={<UploadFile />} onClick={() => setImporting(true)} disabled={!canEdit}>
          Import
        </Button>
        <Button startIcon={<Add />} variant="contained" onClick={() => setCreating(true)} disabled={!canEdit}>
          New crew
        </Button>
      </Box>
      {canEdit && (
        <Paper variant="outlined" sx={{ p: 2, mb: 2 }}>
          <GeneratePrompt
            label="Describe a crew"
            placeholder="e.g. research our competitors' pricing and write a brief"
            button="Generate"
            onEvent={(event) => {
              if (event.type !== 'done') return;
              void qc.invalidateQueries({ queryKey: keys.crews });
              qc.setQueryData(keys.crew(event.crew.id), event.crew);
              notify(`Created "${event.crew.name}"`, 'success');
              navigate(`/crews/${event.crew.id}`);
            }}
          />
        </Paper>
      )}
      <Box sx={{ display: 'flex', gap: 2, mb: 2 }}>
        <TextField
          label="Search crews"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
          sx={{ flex: 1 }}
          slotProps={{
            input: {
              startAdornment: (
                <InputAdornment position="start">
                  <Search />
                </InputAdornment>
              ),
            },
          }}
        />
        <TextField
          select
          label="Sort by"
          value={sort}
          onChange={(e) => setSort(e.target.value as 'name' | '-updated_at')}
          sx={{ width: 200 }}
        >
          <MenuItem value="-updated_at">Recently updated</MenuItem>
          <MenuItem value="name">Name</MenuItem>
        </TextField>
      </Box>
      {crews.isError && <Alert severity="error">{errorMessage(crews.error)}</Alert>}
      {crews.isPending ? (
        <PageLoader label="Loading crews" />
      ) : (
        <TableContainer component={Paper} variant="outlined">
          <Table size="small" aria-label="Crews">
            <TableHead>
              <TableRow>
                <TableCell>Name</TableCell>
                <TableCell>Description</TableCell>
                <TableCell>Process</TableCell>
                <TableCell>Agents · tasks</TableCell>
                <TableCell>Version</TableCell>
                <TableCell>Updated</TableCell>
                <TableCell align="right">Actions</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {items.map((crew) => (
                <TableRow key={crew.id} hover data-testid={`crew-row-${crew.id}`}>
                  <TableCell>
                    <Link component={RouterLink} to={`/crews/${crew.id}`} sx={{ fontWeight: 500 }}>
                      {crew.name}
                    </Link>
                  </TableCell>
                  <TableCell sx={{ maxWidth: 360, overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}>
                    {crew.description}
                  </TableCell>
                  <TableCell>{crew.process}</TableCell>
                  <TableCell>{crew.agent_count !== undefined ? `${crew.agent_count} · ${crew.task_count ?? 0}` : '—'}</TableCell>
                  <TableCell>{crew.version}</TableCell>
                  <TableCell>{formatTime(crew.updated_at)}</TableCell>
                  <TableCell align="right" sx={{ whiteSpace: 'nowrap' }}>
                    <Tooltip title="Duplicate">
                      <span>
                        <IconButton
                          aria-label={`Duplicate ${crew.name}`}
                          onClick={() => duplicate.mutate(crew.id)}
                          disabled={!canEdit || duplicate.isPending}
                        >
                          <ContentCopy fontSize="small" />
                        </IconButton>
                      </span>
                    </Tooltip>
                    <Tooltip title="Export">
                      <IconButton
                        aria-label={`Export ${crew.name}`}
                        aria-haspopup="menu"
                        onClick={(e) => setExportMenu({ anchor: e.currentTarget, crew })}
                      >
                        <Download fontSize="small" />
                      </IconButton>
                    </Tooltip>
                    <Tooltip title="Delete">
                      <span>
                        <IconButton aria-label={`Delete ${crew.name}`} onClick={() => setDeleting(crew)} disabled={!canEdit}>
                          <Delete fontSize="small" />
                        </IconButton>
                      </span>
                    </Tooltip>
                  </TableCell>
                </TableRow>
              ))}
              {items.length === 0 && (
                <EmptyRow colSpan={7}>
                  {q ? 'No crew matches your search.' : 'No crews yet: create one or import a CrewAI YAML file.'}
                </EmptyRow>
              )}
            </TableBody>
          </Table>
        </TableContainer>
      )}
      <LoadMore query={crews} />
      <Menu anchorEl={exportMenu?.anchor} open={Boolean(exportMenu)} onClose={() => setExportMenu(null)}>
        <MenuItem onClick={() => exportMenu && exportCrew(exportMenu.crew, 'yaml')}>CrewAI YAML</MenuItem>
        <MenuItem onClick={() => exportMenu && exportCrew(exportMenu.crew, 'json')}>Kasal JSON</MenuItem>
      </Menu>
      <CreateCrewDialog
        open={creating}
        onClose={() => setCreating(false)}
        onCreated={(doc) => {
          void qc.invalidateQueries({ queryKey: keys.crews });
          navigate(`/crews/${doc.id}`);
        }}
      />
      <ImportDialog
        what="crew"
        hint="A CrewAI YAML file (agents and tasks) or a Kasal JSON export."
        importFile={crewsApi.importFile}
        open={importing}
        onClose={() => setImporting(false)}
        onImported={(doc) => {
          void qc.invalidateQueries({ queryKey: keys.crews });
          notify(`Imported "${doc.name}"`, 'success');
          navigate(`/crews/${doc.id}`);
        }}
      />
      <ConfirmDialog
        open={Boolean(deleting)}
        title="Delete crew?"
        message={`"${deleting?.name}" and its version history will be deleted. Past executions are kept.`}
        confirmLabel="Delete"
        destructive
        busy={remove.isPending}
        onConfirm={() => deleting && remove.mutate(deleting.id)}
        onCancel={() => setDeleting(null)}
      />
    </Box>
  );
}

import AltRoute from '@mui/icons-material/AltRoute';
import ArrowBack from '@mui/icons-material/ArrowBack';
import Download from '@mui/icons-material/Download';
import FactCheck from '@mui/icons-material/FactCheck';
import Groups from '@mui/icons-material/Groups';
import History from '@mui/icons-material/History';
import HowToReg from '@mui/icons-material/HowToReg';
import PlayArrow from '@mui/icons-material/PlayArrow';
import Redo from '@mui/icons-material/Redo';
import Save from '@mui/icons-material/Save';
import Undo from '@mui/icons-material/Undo';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import Divider from '@mui/material/Divider';
import IconButton from '@mui/material/IconButton';
import Menu from '@mui/material/Menu';
import MenuItem from '@mui/material/MenuItem';
import Tab from '@mui/material/Tab';
import Tabs from '@mui/material/Tabs';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ReactFlowProvider, type Viewport } from '@xyflow/react';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Link, useParams } from 'react-router';
import { ApiError, errorMessage } from '../api/client';
import { crewsApi, executionsApi } from '../api/endpoints';
import { flowsApi, type FlowRead, type StepKind } from '../api/flows';
import { keys, usePermissions } from '../api/hooks';
import { detailsToProblems, mergeProblems } from '../canvas/problems';
import type { VersionSource } from '../canvas/versions';
import VersionsDrawer from '../canvas/VersionsDrawer';
import EditGuards from '../canvas/EditGuards';
import { useUnsavedGuard } from '../canvas/unsavedGuard';
import { saveBlob, slugify } from '../common/format';
import { notify } from '../common/notify';
import PageLoader from '../common/PageLoader';
import { isTerminal } from '../run/events';
import RunDialog from '../run/RunDialog';
import RunPanel from '../run/RunPanel';
import { useRunStream } from '../run/useRunStream';
import FlowCanvas from './FlowCanvas';
import FlowProperties from './FlowProperties';
import { addStep, FLOW_LOCAL_CODES, localFlowProblems, runInputs, toSavePayload } from './model';
import { selectFlow, selectFlowDirty, useFlowEditor } from './store';

export default function FlowEditorPage() {
  const { flowId = '' } = useParams();
  const flow = useQuery({ queryKey: keys.flow(flowId), queryFn: () => flowsApi.get(flowId), enabled: Boolean(flowId) });
  const loadedId = useFlowEditor((s) => s.flowId);

  useEffect(() => {
    const data = flow.data;
    if (!data) return;
    const s = useFlowEditor.getState();
    if (s.flowId !== data.id || (!selectFlowDirty(s) && data.version > s.baseVersion)) s.load(data);
  }, [flow.data]);

  // Leaving the page drops the working copy: coming back starts from the server's document.
  useEffect(() => () => useFlowEditor.setState({ flowId: null }), []);

  if (flow.isError) {
    return (
      <Box sx={{ p: 3 }}>
        <Alert severity="error">{errorMessage(flow.error)}</Alert>
        <Button component={Link} to="/flows" sx={{ mt: 2 }}>
          Back to flows
        </Button>
      </Box>
    );
  }
  if (!flow.data || loadedId !== flowId) return <PageLoader label="Loading flow" />;
  return (
    <ReactFlowProvider>
      <FlowEditor flowId={flowId} refetch={async () => (await flow.refetch()).data} />
    </ReactFlowProvider>
  );
}

const ADD: { kind: StepKind; label: string; icon: React.ReactNode }[] = [
  { kind: 'crew', label: 'Crew step', icon: <Groups /> },
  { kind: 'router', label: 'Router', icon: <AltRoute /> },
  { kind: 'approval', label: 'Approval', icon: <HowToReg /> },
];

function flowVersions(flowId: string): VersionSource<FlowRead> {
  return {
    what: 'flow',
    queryKey: keys.flowVersions(flowId),
    list: () => flowsApi.versions(flowId),
    get: (n) => flowsApi.version(flowId, n),
    restore: (n) => flowsApi.restore(flowId, n),
    summary: (doc) => [doc.name, `Steps: ${doc.steps.map((s) => s.name || s.key).join(', ') || 'none'}`],
  };
}

function FlowEditor({ flowId, refetch }: { flowId: string; refetch: () => Promise<FlowRead | undefined> }) {
  const qc = useQueryClient();
  const { canEdit, canRun } = usePermissions();
  const readOnly = !canEdit;
  const doc = useFlowEditor(selectFlow);
  const dirty = useFlowEditor(selectFlowDirty);
  const baseVersion = useFlowEditor((s) => s.baseVersion);
  const serverProblems = useFlowEditor((s) => s.serverProblems);
  const canUndo = useFlowEditor((s) => s.history.past.length > 0);
  const canRedo = useFlowEditor((s) => s.history.future.length > 0);
  const viewport = useRef<Viewport | null>(null);
  const crews = useQuery({ queryKey: [...keys.crews, 'all-names'], queryFn: () => crewsApi.list({ sort: 'name', limit: 200 }) });
  const crewNames = useMemo(() => new Map((crews.data?.items ?? []).map((c) => [c.id, c.name])), [crews.data]);

  const [conflict, setConflict] = useState<string | null>(null);
  const [versionsOpen, setVersionsOpen] = useState(false);
  const [exportMenu, setExportMenu] = useState<HTMLElement | null>(null);
  const [runOpen, setRunOpen] = useState(false);
  const [runError, setRunError] = useState<string | null>(null);
  const [starting, setStarting] = useState(false);
  const runStorageKey = `kasal.run.flow.${flowId}`;
  const [executionId, setExecutionIdState] = useState<string | null>(() => sessionStorage.getItem(runStorageKey));
  const [panel, setPanel] = useState<'properties' | 'run'>(() => (sessionStorage.getItem(runStorageKey) ? 'run' : 'properties'));
  const setExecutionId = (id: string | null) => {
    if (id) sessionStorage.setItem(runStorageKey, id);
    else sessionStorage.removeItem(runStorageKey);
    setExecutionIdState(id);
  };

  const problems = useMemo(() => mergeProblems(serverProblems, localFlowProblems(doc), dirty, FLOW_LOCAL_CODES), [serverProblems, doc, dirty]);
  const stepKeys = useMemo(() => doc.steps.map((s) => s.key), [doc.steps]);
  const run = useRunStream(executionId, stepKeys);
  const runState = run.state;
  const running = runState !== null && !isTerminal(runState.status);

  // ---- save -------------------------------------------------------------------------------
  const saveMutation = useMutation({
    mutationFn: () => {
      const s = useFlowEditor.getState();
      const payload = toSavePayload(s.history.present, s.baseVersion);
      if (viewport.current) payload.layout = { ...payload.layout, viewport: viewport.current };
      return flowsApi.save(flowId, payload);
    },
    onSuccess: (saved) => {
      useFlowEditor.getState().markSaved(saved);
      qc.setQueryData(keys.flow(flowId), saved);
      void qc.invalidateQueries({ queryKey: keys.flows });
    },
    onError: (e) => {
      if (e instanceof ApiError && e.status === 409) setConflict(e.message);
      else if (e instanceof ApiError && e.status === 422) {
        useFlowEditor.getState().setServerProblems(detailsToProblems(e));
        notify(`Not saved: ${e.message}`, 'error');
      } else notify(`Not saved: ${errorMessage(e)}`, 'error');
    },
  });
  const save = useCallback(async (): Promise<boolean> => {
    try {
      await saveMutation.mutateAsync();
      notify('Saved', 'success');
      return true;
    } catch {
      return false;
    }
  }, [saveMutation]);

  const reload = async () => {
    setConflict(null);
    const fresh = await refetch();
    if (fresh) useFlowEditor.getState().load(fresh);
  };

  const validate = useMutation({
    mutationFn: () => flowsApi.validate(flowId, useFlowEditor.getState().history.present),
    onSuccess: (result) => {
      useFlowEditor.getState().setServerProblems(result.problems);
      const errors = result.problems.filter((p) => p.severity === 'error').length;
      notify(errors ? `${errors} problem${errors > 1 ? 's' : ''} found` : 'No problems found', errors ? 'warning' : 'success');
    },
    onError: (e) => notify(errorMessage(e), 'error'),
  });

  const download = async (format: 'yaml' | 'json') => {
    setExportMenu(null);
    try {
      const { blob, filename } = await flowsApi.exportFile(flowId, format);
      saveBlob(blob, filename ?? `${slugify(doc.name) || 'flow'}.${format}`);
    } catch (e) {
      notify(errorMessage(e), 'error');
    }
  };

  // ---- run --------------------------------------------------------------------------------
  const inputs = runInputs(doc);
  const startRun = async (values: Record<string, string>) => {
    setRunError(null);
    setStarting(true);
    try {
      if (dirty && canEdit && !(await save())) {
        setRunError('The flow could not be saved; fix the problems and try again.');
        return;
      }
      const execution = await flowsApi.run(flowId, values);
      setRunOpen(false);
      setExecutionId(execution.id);
      setPanel('run');
      void qc.invalidateQueries({ queryKey: keys.executions });
    } catch (e) {
      if (e instanceof ApiError && e.status === 422) {
        const found = detailsToProblems(e);
        if (found.length) useFlowEditor.getState().setServerProblems(found);
        setRunError(`${e.message}${found.length ? `: ${found.map((p) => p.message).join('; ')}` : ''}`);
      } else setRunError(errorMessage(e));
    } finally {
      setStarting(false);
    }
  };
  const cancel = useMutation({
    mutationFn: () => executionsApi.cancel(executionId!),
    onError: (e) => notify(errorMessage(e), 'error'),
  });

  const add = (kind: StepKind) => {
    const store = useFlowEditor.getState();
    let key = '';
    store.apply((d) => {
      const r = addStep(d, kind);
      key = r.key;
      return r.doc;
    });
    store.select({ nodes: [key], edges: [] });
    setPanel('properties');
  };

  // ---- keyboard and the unsaved-changes guard, as in the crew editor ----------------------
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey)) return;
      const k = e.key.toLowerCase();
      if (k === 's') {
        e.preventDefault();
        if (canEdit && selectFlowDirty(useFlowEditor.getState())) void save();
        return;
      }
      const target = e.target as HTMLElement | null;
      if (readOnly || (target && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName)))) return;
      if (k === 'z' && !e.shiftKey) {
        e.preventDefault();
        useFlowEditor.getState().undo();
      } else if ((k === 'z' && e.shiftKey) || k === 'y') {
        e.preventDefault();
        useFlowEditor.getState().redo();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [canEdit, readOnly, save]);
  const blocker = useUnsavedGuard(dirty);

  const errorCount = problems.filter((p) => p.severity === 'error').length;
  const steps = doc.steps.map((s) => ({ key: s.key, name: s.name || s.key }));

  return (
    <Box sx={{ display: 'flex', flexDirection: 'column', flex: 1, minHeight: 0 }}>
      <Box sx={{ display: 'flex', alignItems: 'center', gap: 1, px: 2, py: 0.75, borderBottom: 1, borderColor: 'divider' }} role="toolbar" aria-label="Flow editor">
        <Tooltip title="Back to flows">
          <IconButton aria-label="Back to flows" component={Link} to="/flows">
            <ArrowBack />
          </IconButton>
        </Tooltip>
        <Typography variant="h6" component="h1" noWrap sx={{ maxWidth: 300 }} data-testid="flow-name">
          {doc.name || 'Untitled flow'}
        </Typography>
        <Chip size="small" label={`v${baseVersion}`} aria-label={`Version ${baseVersion}`} />
        {dirty && <Chip size="small" color="warning" label="Unsaved changes" data-testid="dirty-indicator" />}
        {readOnly && <Chip size="small" label="Read only" />}
        {errorCount > 0 && (
          <Chip size="small" color="error" variant="outlined" label={`${errorCount} problem${errorCount > 1 ? 's' : ''}`} onClick={() => { useFlowEditor.getState().select({ nodes: [], edges: [] }); setPanel('properties'); }} />
        )}
        <Divider orientation="vertical" flexItem />
        {ADD.map((a) => (
          <Button key={a.kind} size="small" startIcon={a.icon} disabled={readOnly} onClick={() => add(a.kind)}>
            {a.label}
          </Button>
        ))}
        <Box sx={{ flex: 1 }} />
        <Tooltip title="Undo (Ctrl+Z)">
          <span>
            <IconButton aria-label="Undo" onClick={() => useFlowEditor.getState().undo()} disabled={readOnly || !canUndo}>
              <Undo />
            </IconButton>
          </span>
        </Tooltip>
        <Tooltip title="Redo (Ctrl+Shift+Z)">
          <span>
            <IconButton aria-label="Redo" onClick={() => useFlowEditor.getState().redo()} disabled={readOnly || !canRedo}>
              <Redo />
            </IconButton>
          </span>
        </Tooltip>
        <Tooltip title="Version history">
          <IconButton aria-label="Version history" onClick={() => setVersionsOpen(true)}>
            <History />
          </IconButton>
        </Tooltip>
        <Tooltip title="Export (crewai.flow/v1)">
          <IconButton aria-label="Export" onClick={(e) => setExportMenu(e.currentTarget)}>
            <Download />
          </IconButton>
        </Tooltip>
        <Menu anchorEl={exportMenu} open={Boolean(exportMenu)} onClose={() => setExportMenu(null)}>
          <MenuItem onClick={() => void download('yaml')}>YAML</MenuItem>
          <MenuItem onClick={() => void download('json')}>JSON</MenuItem>
        </Menu>
        <Divider orientation="vertical" flexItem />
        <Button startIcon={<FactCheck />} onClick={() => validate.mutate()} disabled={validate.isPending}>
          Validate
        </Button>
        <Button startIcon={<Save />} variant="outlined" onClick={() => void save()} disabled={readOnly || !dirty || saveMutation.isPending}>
          {saveMutation.isPending ? 'Saving…' : 'Save'}
        </Button>
        <Button startIcon={<PlayArrow />} variant="contained" color="success" onClick={() => { setRunError(null); setRunOpen(true); }} disabled={!canRun || running || (dirty && !canEdit)}>
          Run
        </Button>
      </Box>
      <Box sx={{ display: 'flex', flex: 1, minHeight: 0 }}>
        <Box sx={{ flex: 1, minWidth: 0, position: 'relative' }} data-testid="canvas">
          <FlowCanvas
            readOnly={readOnly}
            problems={problems}
            runStates={runState?.nodes ?? null}
            crewNames={crewNames}
            onViewport={(v) => {
              viewport.current = v;
            }}
          />
        </Box>
        <Box component="aside" aria-label="Side panel" sx={{ width: 380, flexShrink: 0, borderLeft: 1, borderColor: 'divider', display: 'flex', flexDirection: 'column', minHeight: 0 }}>
          {runState && (
            <Tabs value={panel} onChange={(_, v: 'properties' | 'run') => setPanel(v)} aria-label="Side panel views" sx={{ borderBottom: 1, borderColor: 'divider', minHeight: 40 }}>
              <Tab value="properties" label="Properties" sx={{ minHeight: 40 }} />
              <Tab value="run" label="Run" sx={{ minHeight: 40 }} />
            </Tabs>
          )}
          <Box sx={{ flex: 1, minHeight: 0, overflow: panel === 'run' && runState ? 'hidden' : 'auto' }}>
            {panel === 'run' && runState ? (
              <RunPanel
                state={runState}
                mode={run.mode}
                streamError={run.error}
                tasks={steps}
                agentKeys={[]}
                canCancel={canRun}
                cancelling={cancel.isPending}
                onCancel={() => cancel.mutate()}
                onClose={() => {
                  setExecutionId(null);
                  setPanel('properties');
                }}
              />
            ) : (
              <FlowProperties readOnly={readOnly} crews={crews.data?.items} problems={problems} />
            )}
          </Box>
        </Box>
      </Box>
      <VersionsDrawer
        open={versionsOpen}
        source={flowVersions(flowId)}
        currentVersion={baseVersion}
        dirty={dirty}
        readOnly={readOnly}
        onClose={() => setVersionsOpen(false)}
        onRestored={(restored) => {
          useFlowEditor.getState().load(restored);
          qc.setQueryData(keys.flow(flowId), restored);
          void qc.invalidateQueries({ queryKey: keys.flows });
          setVersionsOpen(false);
        }}
      />
      <RunDialog
        open={runOpen}
        crewId={`flow.${flowId}`}
        what="flow"
        inputs={inputs.names}
        defaults={inputs.defaults}
        busy={starting}
        error={runError}
        saveFirst={dirty && canEdit}
        onCancel={() => setRunOpen(false)}
        onStart={(values) => void startRun(values)}
      />
      <EditGuards
        what="flow"
        conflict={conflict}
        blocker={blocker}
        onReload={() => void reload()}
        onKeepEditing={() => setConflict(null)}
      />
    </Box>
  );
}

import AccountTree from '@mui/icons-material/AccountTree';
import ArrowBack from '@mui/icons-material/ArrowBack';
import FactCheck from '@mui/icons-material/FactCheck';
import History from '@mui/icons-material/History';
import PlayArrow from '@mui/icons-material/PlayArrow';
import Redo from '@mui/icons-material/Redo';
import Save from '@mui/icons-material/Save';
import Schedule from '@mui/icons-material/Schedule';
import Undo from '@mui/icons-material/Undo';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import Divider from '@mui/material/Divider';
import IconButton from '@mui/material/IconButton';
import Tab from '@mui/material/Tab';
import Tabs from '@mui/material/Tabs';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ReactFlowProvider, useStoreApi, type Viewport } from '@xyflow/react';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Link, useParams } from 'react-router';
import { ApiError, errorMessage } from '../api/client';
import { crewsApi, executionsApi, libraryApi } from '../api/endpoints';
import { keys, useModels, usePermissions, useTools } from '../api/hooks';
import AutomationDrawer from '../automation/AutomationDrawer';
import type { Agent, CrewDocument, GenerateEvent, Task } from '../api/types';
import EditGuards from './EditGuards';
import { useUnsavedGuard } from './unsavedGuard';
import GeneratePrompt from '../generate/GeneratePrompt';
import { notify } from '../common/notify';
import PageLoader from '../common/PageLoader';
import { isTerminal } from '../run/events';
import RunDialog from '../run/RunDialog';
import RunPanel from '../run/RunPanel';
import { useRunStream } from '../run/useRunStream';
import Canvas, { type PaletteDrop } from './Canvas';
import { autoLayout } from './layout';
import {
  addAgent,
  addTask,
  moveNodes,
  normalizeAgent,
  normalizeTask,
  placeInView,
  toSavePayload,
  visibleRect,
  type EditableCrew,
} from './model';
import Palette from './Palette';
import { detailsToProblems, localProblems, mergeProblems } from './problems';
import PropertiesPanel from './PropertiesPanel';
import { selectDirty, selectDoc, useEditor } from './store';
import { crewVersions } from './versions';
import VersionsDrawer from './VersionsDrawer';

function isEditableTarget(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

export default function EditorPage() {
  const { crewId = '' } = useParams();
  const qc = useQueryClient();
  const crew = useQuery({ queryKey: keys.crew(crewId), queryFn: () => crewsApi.get(crewId), enabled: Boolean(crewId) });
  const loadedId = useEditor((s) => s.crewId);

  useEffect(() => {
    const data = crew.data;
    if (!data) return;
    const s = useEditor.getState();
    if (s.crewId !== data.id || (!selectDirty(s) && (data.version ?? 0) > s.baseVersion)) s.load(data);
  }, [crew.data]);

  // Leaving the page drops the working copy: coming back starts from the server's document.
  useEffect(() => () => useEditor.setState({ crewId: null }), []);

  if (crew.isError) {
    return (
      <Box sx={{ p: 3 }}>
        <Alert severity="error">{errorMessage(crew.error)}</Alert>
        <Button component={Link} to="/crews" sx={{ mt: 2 }}>
          Back to crews
        </Button>
      </Box>
    );
  }
  if (!crew.data || loadedId !== crewId) return <PageLoader label="Loading crew" />;
  return (
    <ReactFlowProvider>
      <Editor crewId={crewId} refetch={async () => (await crew.refetch()).data} invalidate={() => qc.invalidateQueries({ queryKey: keys.crews })} />
    </ReactFlowProvider>
  );
}

interface EditorProps {
  crewId: string;
  refetch: () => Promise<CrewDocument | undefined>;
  invalidate: () => void;
}

function Editor({ crewId, refetch, invalidate }: EditorProps) {
  const qc = useQueryClient();
  const { canEdit, canRun } = usePermissions();
  const readOnly = !canEdit;
  const models = useModels();
  const tools = useTools();
  const doc = useEditor(selectDoc);
  const dirty = useEditor(selectDirty);
  const baseVersion = useEditor((s) => s.baseVersion);
  const serverProblems = useEditor((s) => s.serverProblems);
  const canUndo = useEditor((s) => s.history.past.length > 0);
  const canRedo = useEditor((s) => s.history.future.length > 0);
  const viewport = useRef<Viewport | null>(null);

  const [conflict, setConflict] = useState<string | null>(null);
  const [versionsOpen, setVersionsOpen] = useState(false);
  const [automationOpen, setAutomationOpen] = useState(false);
  const [runOpen, setRunOpen] = useState(false);
  const [runError, setRunError] = useState<string | null>(null);
  const [starting, setStarting] = useState(false);
  const runStorageKey = `kasal.run.${crewId}`;
  // The run being watched survives a trip to another page (and a reload) within this tab.
  const [executionId, setExecutionIdState] = useState<string | null>(() => sessionStorage.getItem(runStorageKey));
  const [panel, setPanel] = useState<'properties' | 'run'>(() => (sessionStorage.getItem(runStorageKey) ? 'run' : 'properties'));
  const setExecutionId = (id: string | null) => {
    if (id) sessionStorage.setItem(runStorageKey, id);
    else sessionStorage.removeItem(runStorageKey);
    setExecutionIdState(id);
  };

  const problems = useMemo(
    () => mergeProblems(serverProblems, localProblems(doc, models.data, tools.data), dirty),
    [serverProblems, doc, models.data, tools.data, dirty],
  );
  const nodeKeys = useMemo(() => [...doc.agents.map((a) => a.key), ...doc.tasks.map((t) => t.key)], [doc]);
  const run = useRunStream(executionId, nodeKeys);
  const runState = run.state;
  const running = runState !== null && !isTerminal(runState.status);

  // ---- save -------------------------------------------------------------------------------
  const saveMutation = useMutation({
    mutationFn: async () => {
      const s = useEditor.getState();
      const present = s.history.present;
      const payload = toSavePayload(present, s.baseVersion);
      if (viewport.current) payload.layout = { ...payload.layout, viewport: viewport.current };
      return crewsApi.save(crewId, payload);
    },
    onSuccess: (saved) => {
      useEditor.getState().markSaved(saved);
      qc.setQueryData(keys.crew(crewId), saved);
      invalidate();
    },
    onError: (e) => {
      if (e instanceof ApiError && e.status === 409) setConflict(e.message);
      else if (e instanceof ApiError && e.status === 422) {
        useEditor.getState().setServerProblems(detailsToProblems(e));
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
    if (fresh) useEditor.getState().load(fresh);
  };

  // ---- validate ---------------------------------------------------------------------------
  const validate = useMutation({
    mutationFn: () => {
      const s = useEditor.getState();
      return crewsApi.validate(crewId, toSavePayload(s.history.present, s.baseVersion));
    },
    onSuccess: (result) => {
      useEditor.getState().setServerProblems(result.problems);
      const errors = result.problems.filter((p) => p.severity === 'error').length;
      notify(errors ? `${errors} problem${errors > 1 ? 's' : ''} found` : 'No problems found', errors ? 'warning' : 'success');
    },
    onError: (e) => notify(errorMessage(e), 'error'),
  });
  const runValidate = () => validate.mutate();

  // ---- run --------------------------------------------------------------------------------
  // The inputs the dialog asks for are the server's, from the engine's one placeholder rule
  // (texts and output files alike): of the saved crew, or of the draft about to be saved.
  const [runInputs, setRunInputs] = useState<string[]>([]);
  const openRun = async () => {
    setRunError(null);
    const s = useEditor.getState();
    try {
      const inputs =
        !selectDirty(s) && s.serverInputs
          ? s.serverInputs
          : (await crewsApi.validate(crewId, toSavePayload(s.history.present, s.baseVersion))).inputs;
      setRunInputs(inputs);
      setRunOpen(true);
    } catch (e) {
      notify(errorMessage(e), 'error');
    }
  };
  const startRun = async (inputs: Record<string, string>) => {
    setRunError(null);
    setStarting(true);
    try {
      if (dirty && canEdit && !(await save())) {
        setRunError('The crew could not be saved; fix the problems and try again.');
        return;
      }
      const execution = await executionsApi.start(crewId, inputs);
      setRunOpen(false);
      setExecutionId(execution.id);
      setPanel('run');
      void qc.invalidateQueries({ queryKey: keys.executions });
    } catch (e) {
      if (e instanceof ApiError && e.status === 422) {
        const problems = detailsToProblems(e);
        if (problems.length) useEditor.getState().setServerProblems(problems);
        setRunError(`${e.message}${problems.length ? `: ${problems.map((p) => p.message).join('; ')}` : ''}`);
      } else setRunError(errorMessage(e));
    } finally {
      setStarting(false);
    }
  };
  const cancel = useMutation({
    mutationFn: () => executionsApi.cancel(executionId!),
    onError: (e) => notify(errorMessage(e), 'error'),
  });

  // ---- generate: the nodes stream onto the canvas; the whole generation is one undo step ----
  const onGenerated = (event: GenerateEvent) => {
    const store = useEditor.getState();
    if (event.type === 'started') store.beginGeneration();
    if (event.type === 'agent') store.showGenerated({ agent: event.agent as Agent }, event.position);
    if (event.type === 'task') store.showGenerated({ task: event.task as Task }, event.position);
    if (event.type === 'repair') store.restartGeneration();
    if (event.type === 'error') store.abandonGeneration();
    if (event.type === 'done') {
      const crew = event.crew as CrewDocument;
      store.finishGeneration(crew);
      qc.setQueryData(keys.crew(crewId), crew);
      invalidate();
      notify(`Saved as version ${crew.version}`, 'success');
    }
  };

  // ---- palette ----------------------------------------------------------------------------
  const flow = useStoreApi();
  const addItem = useCallback(
    async (item: PaletteDrop, drop?: { x: number; y: number }) => {
      if (readOnly) return;
      const store = useEditor.getState();
      // In view, wherever the user has scrolled to: a new node is one they can see land.
      const place = (d: EditableCrew) => {
        const { width, height, transform } = flow.getState();
        const view = visibleRect(width, height, transform);
        return view ? placeInView(d, view, drop, useEditor.getState().measured) : drop;
      };
      try {
        if (item.kind === 'agent' || item.kind === 'task') {
          let key = '';
          store.apply((d) => {
            const r =
              item.kind === 'agent'
                ? addAgent(d, { llm: models.data?.find((m) => m.is_default)?.key ?? null }, place(d))
                : addTask(d, {}, place(d));
            key = r.key;
            return r.doc;
          });
          store.select({ nodes: [key], edges: [] });
          return;
        }
        if (item.kind === 'library-agent') {
          const found = qc.getQueryData<Awaited<ReturnType<typeof libraryApi.agents>>>(keys.libraryAgents)?.find((a) => a.id === item.id);
          if (!found) return;
          const { id: _id, ...fields } = found;
          let key = '';
          store.apply((d) => {
            const r = addAgent(d, normalizeAgent({ ...fields, key: 'x' }), place(d));
            key = r.key;
            return r.doc;
          });
          store.select({ nodes: [key], edges: [] });
        }
        if (item.kind === 'library-task') {
          const found = qc.getQueryData<Awaited<ReturnType<typeof libraryApi.tasks>>>(keys.libraryTasks)?.find((t) => t.id === item.id);
          if (!found) return;
          const { id: _id, ...fields } = found;
          let key = '';
          store.apply((d) => {
            const r = addTask(d, normalizeTask({ ...fields, key: 'x' }), place(d));
            key = r.key;
            return r.doc;
          });
          store.select({ nodes: [key], edges: [] });
        }
      } catch (e) {
        notify(errorMessage(e), 'error');
      }
    },
    [flow, models.data, qc, readOnly],
  );

  // ---- keyboard ---------------------------------------------------------------------------
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const mod = e.ctrlKey || e.metaKey;
      if (!mod) return;
      const k = e.key.toLowerCase();
      if (k === 's') {
        e.preventDefault();
        if (canEdit && selectDirty(useEditor.getState())) void save();
        return;
      }
      if (isEditableTarget(e.target) || readOnly) return;
      if (k === 'z' && !e.shiftKey) {
        e.preventDefault();
        useEditor.getState().undo();
      } else if ((k === 'z' && e.shiftKey) || k === 'y') {
        e.preventDefault();
        useEditor.getState().redo();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [canEdit, readOnly, save]);

  const blocker = useUnsavedGuard(dirty);

  const errorCount = problems.filter((p) => p.severity === 'error').length;
  const tasks = doc.tasks.map((t) => ({ key: t.key, name: t.name || t.key }));

  return (
    <Box sx={{ display: 'flex', flexDirection: 'column', flex: 1, minHeight: 0 }}>
      <Box sx={{ display: 'flex', alignItems: 'center', gap: 1, px: 2, py: 0.75, borderBottom: 1, borderColor: 'divider' }} role="toolbar" aria-label="Editor">
        <Tooltip title="Back to crews">
          <IconButton component={Link} to="/crews" aria-label="Back to crews" size="small">
            <ArrowBack />
          </IconButton>
        </Tooltip>
        <Typography variant="h6" component="h1" noWrap sx={{ maxWidth: 360 }} data-testid="crew-name">
          {doc.name || 'Untitled crew'}
        </Typography>
        <Chip size="small" label={`v${baseVersion}`} aria-label={`Version ${baseVersion}`} />
        {dirty && <Chip size="small" color="warning" label="Unsaved changes" data-testid="dirty-indicator" />}
        {readOnly && <Chip size="small" label="Read only" />}
        {errorCount > 0 && (
          <Chip size="small" color="error" variant="outlined" label={`${errorCount} problem${errorCount > 1 ? 's' : ''}`} onClick={() => { useEditor.getState().select({ nodes: [], edges: [] }); setPanel('properties'); }} />
        )}
        <Box sx={{ flex: 1 }} />
        <Tooltip title="Undo (Ctrl+Z)">
          <span>
            <IconButton aria-label="Undo" onClick={() => useEditor.getState().undo()} disabled={readOnly || !canUndo}>
              <Undo />
            </IconButton>
          </span>
        </Tooltip>
        <Tooltip title="Redo (Ctrl+Shift+Z)">
          <span>
            <IconButton aria-label="Redo" onClick={() => useEditor.getState().redo()} disabled={readOnly || !canRedo}>
              <Redo />
            </IconButton>
          </span>
        </Tooltip>
        <Tooltip title="Auto-layout">
          <span>
            <IconButton aria-label="Auto-layout" disabled={readOnly} onClick={() => useEditor.getState().apply((d) => moveNodes(d, autoLayout(d)))}>
              <AccountTree />
            </IconButton>
          </span>
        </Tooltip>
        <Tooltip title="Version history">
          <IconButton aria-label="Version history" onClick={() => setVersionsOpen(true)}>
            <History />
          </IconButton>
        </Tooltip>
        <Tooltip title="Schedules and triggers">
          <IconButton aria-label="Schedules and triggers" onClick={() => setAutomationOpen(true)}>
            <Schedule />
          </IconButton>
        </Tooltip>
        <Divider orientation="vertical" flexItem />
        <Button startIcon={<FactCheck />} onClick={runValidate} disabled={validate.isPending}>
          Validate
        </Button>
        <Button startIcon={<Save />} variant="outlined" onClick={() => void save()} disabled={readOnly || !dirty || saveMutation.isPending}>
          {saveMutation.isPending ? 'Saving…' : 'Save'}
        </Button>
        <Button
          startIcon={<PlayArrow />}
          variant="contained"
          color="success"
          onClick={() => void openRun()}
          disabled={!canRun || running || (dirty && !canEdit)}
        >
          Run
        </Button>
      </Box>
      {canEdit && (
        <Box sx={{ px: 2, py: 1, borderBottom: 1, borderColor: 'divider' }}>
          <GeneratePrompt
            label="Change this crew"
            placeholder="e.g. add a reviewer who checks sources"
            button="Apply"
            crewId={crewId}
            version={baseVersion}
            disabled={dirty || running}
            disabledReason={dirty ? 'Save your changes first: a change is made to the saved version.' : 'Wait for the run to end.'}
            onEvent={onGenerated}
          />
        </Box>
      )}
      <Box sx={{ display: 'flex', flex: 1, minHeight: 0 }}>
        <Palette readOnly={readOnly} onAdd={(item) => void addItem(item)} />
        <Box sx={{ flex: 1, minWidth: 0, position: 'relative' }} data-testid="canvas">
          <Canvas
            readOnly={readOnly}
            models={models.data}
            problems={problems}
            runStates={runState?.nodes ?? null}
            onDropItem={(item, position) => void addItem(item, position)}
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
                tasks={tasks}
                agentKeys={doc.agents.map((a) => a.key)}
                canCancel={canRun}
                cancelling={cancel.isPending}
                onCancel={() => cancel.mutate()}
                onClose={() => {
                  setExecutionId(null);
                  setPanel('properties');
                }}
              />
            ) : (
              <PropertiesPanel readOnly={readOnly} models={models.data} tools={tools.data} problems={problems} />
            )}
          </Box>
        </Box>
      </Box>
      <AutomationDrawer open={automationOpen} crewId={crewId} canEdit={canEdit} onClose={() => setAutomationOpen(false)} />
      <VersionsDrawer
        open={versionsOpen}
        source={crewVersions(crewId)}
        currentVersion={baseVersion}
        dirty={dirty}
        readOnly={readOnly}
        onClose={() => setVersionsOpen(false)}
        onRestored={(restored) => {
          useEditor.getState().load(restored);
          qc.setQueryData(keys.crew(crewId), restored);
          invalidate();
          setVersionsOpen(false);
        }}
      />
      <RunDialog
        open={runOpen}
        crewId={crewId}
        inputs={runInputs}
        defaults={doc.default_inputs ?? {}}
        busy={starting}
        error={runError}
        saveFirst={dirty && canEdit}
        onCancel={() => setRunOpen(false)}
        onStart={(inputs) => void startRun(inputs)}
      />
      <EditGuards
        what="crew"
        conflict={conflict}
        blocker={blocker}
        onReload={() => void reload()}
        onKeepEditing={() => setConflict(null)}
      />
    </Box>
  );
}

import { lazy, Suspense, type ReactNode } from 'react';
import { createBrowserRouter, Navigate } from 'react-router';
import RequireAuth from './auth/RequireAuth';
import SignInPage from './auth/SignInPage';
import PageLoader from './common/PageLoader';
import AppShell from './shell/AppShell';

const CrewsPage = lazy(() => import('./crews/CrewsPage'));
const EditorPage = lazy(() => import('./canvas/EditorPage'));
const ExecutionsPage = lazy(() => import('./executions/ExecutionsPage'));
const ExecutionDetailPage = lazy(() => import('./executions/ExecutionDetailPage'));
const FlowsPage = lazy(() => import('./flows/FlowsPage'));
const FlowEditorPage = lazy(() => import('./flows/FlowEditorPage'));
const ApprovalsPage = lazy(() => import('./approvals/ApprovalsPage'));
const ChatsPage = lazy(() => import('./chats/ChatsPage'));
const KnowledgePage = lazy(() => import('./knowledge/KnowledgePage'));
const SettingsPage = lazy(() => import('./settings/SettingsPage'));
const NotFoundPage = lazy(() => import('./common/NotFoundPage'));

const page = (node: ReactNode) => <Suspense fallback={<PageLoader />}>{node}</Suspense>;

export const router = createBrowserRouter([
  { path: '/sign-in', element: <SignInPage /> },
  {
    path: '/',
    element: (
      <RequireAuth>
        <AppShell />
      </RequireAuth>
    ),
    children: [
      { index: true, element: <Navigate to="/crews" replace /> },
      { path: 'crews', element: page(<CrewsPage />) },
      { path: 'crews/:crewId', element: page(<EditorPage />) },
      { path: 'flows', element: page(<FlowsPage />) },
      { path: 'flows/:flowId', element: page(<FlowEditorPage />) },
      { path: 'approvals/:approvalId?', element: page(<ApprovalsPage />) },
      { path: 'executions', element: page(<ExecutionsPage />) },
      { path: 'executions/:executionId', element: page(<ExecutionDetailPage />) },
      { path: 'chats/:chatId?', element: page(<ChatsPage />) },
      { path: 'knowledge', element: page(<KnowledgePage />) },
      { path: 'settings', element: <Navigate to="/settings/models" replace /> },
      { path: 'settings/:tab', element: page(<SettingsPage />) },
      { path: '*', element: page(<NotFoundPage />) },
    ],
  },
]);

import Box from '@mui/material/Box';
import Tab from '@mui/material/Tab';
import Tabs from '@mui/material/Tabs';
import Typography from '@mui/material/Typography';
import { Navigate, useNavigate, useParams } from 'react-router';
import { useSession } from '../auth/session';
import ApiKeysTab from './ApiKeysTab';
import ConnectionsTab from './ConnectionsTab';
import GroupsTab from './GroupsTab';
import McpTab from './McpTab';
import ModelsTab from './ModelsTab';
import OpenApiTab from './OpenApiTab';
import PromptsTab from './PromptsTab';
import ToolsTab from './ToolsTab';
import TracingTab from './TracingTab';
import UsersTab from './UsersTab';
import WebhooksTab from './WebhooksTab';

const TABS = [
  { id: 'models', label: 'Models' },
  { id: 'api-keys', label: 'API keys' },
  { id: 'tools', label: 'Tools' },
  { id: 'connections', label: 'Connections' },
  { id: 'openapi', label: 'OpenAPI tools' },
  { id: 'mcp', label: 'MCP servers' },
  { id: 'prompts', label: 'Prompts' },
  { id: 'tracing', label: 'Tracing' },
  { id: 'webhooks', label: 'Webhooks' },
  { id: 'groups', label: 'Groups' },
  { id: 'users', label: 'Users', admin: true },
];

export default function SettingsPage() {
  const { tab = 'models' } = useParams();
  const navigate = useNavigate();
  const isAdmin = useSession((s) => s.user?.is_admin ?? false);
  const tabs = TABS.filter((t) => !t.admin || isAdmin);
  if (!tabs.some((t) => t.id === tab)) return <Navigate to="/settings/models" replace />;
  return (
    <Box sx={{ p: 3, maxWidth: 1200, width: '100%', mx: 'auto' }}>
      <Typography variant="h5" component="h1" gutterBottom>
        Settings
      </Typography>
      <Tabs value={tab} onChange={(_, v: string) => navigate(`/settings/${v}`)} aria-label="Settings sections" sx={{ mb: 2, borderBottom: 1, borderColor: 'divider' }}>
        {tabs.map((t) => (
          <Tab key={t.id} value={t.id} label={t.label} />
        ))}
      </Tabs>
      {tab === 'models' && <ModelsTab />}
      {tab === 'api-keys' && <ApiKeysTab />}
      {tab === 'tools' && <ToolsTab />}
      {tab === 'connections' && <ConnectionsTab />}
      {tab === 'openapi' && <OpenApiTab />}
      {tab === 'mcp' && <McpTab />}
      {tab === 'prompts' && <PromptsTab />}
      {tab === 'tracing' && <TracingTab />}
      {tab === 'webhooks' && <WebhooksTab />}
      {tab === 'groups' && <GroupsTab />}
      {tab === 'users' && isAdmin && <UsersTab />}
    </Box>
  );
}

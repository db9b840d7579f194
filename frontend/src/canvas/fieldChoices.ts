/**
 * Config fields whose value names something of the group, offered as a choice of those names
 * rather than free text: a field `connection` names one of the group's database connections
 * (the server's `ToolConfig.connections()`; sql_query's), fed by `GET /connections`.
 */
import { useConnections } from '../api/hooks';
import type { Tool } from '../api/types';
import { CONNECTIONS_PATH } from '../common/settingsPaths';
import { fieldKind, fields } from './schema';

export interface FieldChoices {
  options: string[];
  loading: boolean;
  /** What the names name ("database connection"), to say when one is missing, and where to add some. */
  noun: string;
  link: { label: string; to: string };
}

const CONNECTION_FIELD = 'connection';

function namesConnection(tool: Tool): boolean {
  return fields(tool.config_schema).some(([name, prop]) => name === CONNECTION_FIELD && fieldKind(name, prop) === 'string');
}

/** The choices of the tool's config fields that name the group's things, by field name. */
export function useFieldChoices(tool: Tool): Record<string, FieldChoices> | undefined {
  const wanted = namesConnection(tool);
  const connections = useConnections(wanted);
  if (!wanted) return undefined;
  return {
    [CONNECTION_FIELD]: {
      options: (connections.data ?? []).map((c) => c.name),
      loading: connections.isPending,
      noun: 'database connection',
      link: { label: 'Settings › Connections', to: CONNECTIONS_PATH },
    },
  };
}

/** Where the group's tool sources are managed, for links from the canvas. */
export const CONNECTIONS_PATH = '/settings/connections';
export const OPENAPI_PATH = '/settings/openapi';

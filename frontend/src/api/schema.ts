/* Generated from the OpenAPI document by `npm run generate`: do not edit. */

export interface paths {
    "/health": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Health */
        get: operations["system_health"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/health/ready": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Ready
         * @description Ready once the database is reachable and migrated and, in a process that runs
         *     workers, one of them is warm (`workers_warming` until then: `/health` answers from the
         *     start, and runs posted meanwhile wait queued).
         */
        get: operations["system_ready"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/info": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Info */
        get: operations["system_info"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/login": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Login */
        post: operations["auth_login"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/refresh": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Refresh */
        post: operations["auth_refresh"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/logout": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Logout */
        post: operations["auth_logout"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/tokens": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List Tokens */
        get: operations["auth_list_tokens"];
        put?: never;
        /** Create Token */
        post: operations["auth_create_token"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/tokens/{token_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Delete Token */
        delete: operations["auth_delete_token"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/users/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Me */
        get: operations["users_me"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/users": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List Users */
        get: operations["users_list"];
        put?: never;
        /** Create User */
        post: operations["users_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/users/{user_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /** Update User */
        patch: operations["users_update"];
        trace?: never;
    };
    "/api/v1/groups": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List Groups */
        get: operations["groups_list"];
        put?: never;
        /** Create Group */
        post: operations["groups_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/groups/current": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The active group (X-Kasal-Group) and your role in it */
        get: operations["groups_current"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/groups/{group_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get Group */
        get: operations["groups_get"];
        put?: never;
        post?: never;
        /** Delete Group */
        delete: operations["groups_delete"];
        options?: never;
        head?: never;
        /** Update Group */
        patch: operations["groups_update"];
        trace?: never;
    };
    "/api/v1/groups/{group_id}/members": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List Members */
        get: operations["groups_list_members"];
        put?: never;
        /** Add Member */
        post: operations["groups_add_member"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/groups/{group_id}/members/{user_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Remove Member */
        delete: operations["groups_remove_member"];
        options?: never;
        head?: never;
        /** Update Member */
        patch: operations["groups_update_member"];
        trace?: never;
    };
    "/api/v1/models": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List Models */
        get: operations["models_list"];
        put?: never;
        /** Create Model */
        post: operations["models_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/models/discover": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Discover Models
         * @description The provider's models the caller may use: Databricks serving endpoints, asked with
         *     the signed-in user's token (in an App) or the group's Databricks key.
         */
        get: operations["models_discover"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/models/{key}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get Model */
        get: operations["models_get"];
        put?: never;
        post?: never;
        /** Delete Model */
        delete: operations["models_delete"];
        options?: never;
        head?: never;
        /** Update Model */
        patch: operations["models_update"];
        trace?: never;
    };
    "/api/v1/api-keys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List Api Keys */
        get: operations["api_keys_list"];
        put?: never;
        /** Create Api Key */
        post: operations["api_keys_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/api-keys/{key_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get Api Key */
        get: operations["api_keys_get"];
        put?: never;
        post?: never;
        /** Delete Api Key */
        delete: operations["api_keys_delete"];
        options?: never;
        head?: never;
        /** Update Api Key */
        patch: operations["api_keys_update"];
        trace?: never;
    };
    "/api/v1/connections": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List Connections */
        get: operations["connections_list"];
        put?: never;
        /** Create Connection */
        post: operations["connections_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/connections/{connection_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get Connection */
        get: operations["connections_get"];
        put?: never;
        post?: never;
        /** Delete Connection */
        delete: operations["connections_delete"];
        options?: never;
        head?: never;
        /** Update Connection */
        patch: operations["connections_update"];
        trace?: never;
    };
    "/api/v1/connections/{connection_id}/test": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Test Connection
         * @description Connect within a time limit, read-only, and answer the server's version or why not.
         */
        post: operations["connections_test"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/tools": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List Tools */
        get: operations["tools_list"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/tools/{tool_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get Tool */
        get: operations["tools_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /** Update Tool */
        patch: operations["tools_update"];
        trace?: never;
    };
    "/api/v1/openapi-sources": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List Openapi Sources */
        get: operations["openapi_sources_list"];
        put?: never;
        /** Create Openapi Source */
        post: operations["openapi_sources_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/openapi-sources/{source_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get Openapi Source */
        get: operations["openapi_sources_get"];
        put?: never;
        post?: never;
        /** Delete Openapi Source */
        delete: operations["openapi_sources_delete"];
        options?: never;
        head?: never;
        /** Update Openapi Source */
        patch: operations["openapi_sources_update"];
        trace?: never;
    };
    "/api/v1/openapi-sources/{source_id}/tools": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List Openapi Source Tools */
        get: operations["openapi_sources_list_openapi_source_tools"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/mcp-servers": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List Mcp Servers */
        get: operations["mcp_servers_list"];
        put?: never;
        /** Create Mcp Server */
        post: operations["mcp_servers_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/mcp-servers/{server_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get Mcp Server */
        get: operations["mcp_servers_get"];
        put?: never;
        post?: never;
        /** Delete Mcp Server */
        delete: operations["mcp_servers_delete"];
        options?: never;
        head?: never;
        /** Update Mcp Server */
        patch: operations["mcp_servers_update"];
        trace?: never;
    };
    "/api/v1/mcp-servers/{server_id}/test": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Test Mcp Server
         * @description Connect, list the server's tools and keep them. A server that cannot be reached (down,
         *     its command exits, too slow) answers 200 with `ok: false` and the reason in `error`.
         */
        post: operations["mcp_servers_test"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/mcp-servers/{server_id}/tools": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List Mcp Server Tools
         * @description The tools the last test found.
         */
        get: operations["mcp_servers_list_mcp_server_tools"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/knowledge": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List Knowledge Bases */
        get: operations["knowledge_list_knowledge_bases"];
        put?: never;
        /** Create Knowledge Base */
        post: operations["knowledge_create_knowledge_base"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/knowledge/{base_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get Knowledge Base */
        get: operations["knowledge_get_knowledge_base"];
        put?: never;
        post?: never;
        /**
         * Delete Knowledge Base
         * @description The base, its files and their chunks.
         */
        delete: operations["knowledge_delete_knowledge_base"];
        options?: never;
        head?: never;
        /** Update Knowledge Base */
        patch: operations["knowledge_update_knowledge_base"];
        trace?: never;
    };
    "/api/v1/knowledge/{base_id}/files": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List Knowledge Files
         * @description Oldest first, each with its status, progress and, when it failed, why.
         */
        get: operations["knowledge_list_knowledge_files"];
        put?: never;
        /** Upload a file (PDF, DOCX, Markdown, text, HTML, CSV); it is ingested in the background */
        post: operations["knowledge_upload_knowledge_file"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/knowledge/{base_id}/files/{file_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get Knowledge File */
        get: operations["knowledge_get_knowledge_file"];
        put?: never;
        post?: never;
        /**
         * Delete Knowledge File
         * @description The file and its chunks.
         */
        delete: operations["knowledge_delete_knowledge_file"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/knowledge/{base_id}/search": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Search Knowledge Base
         * @description The chunks nearest the query, best first, with their scores and sources.
         */
        post: operations["knowledge_search_knowledge_base"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/agents": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List Agents */
        get: operations["agents_list"];
        put?: never;
        /** Create Agent */
        post: operations["agents_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/agents/{agent_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get Agent */
        get: operations["agents_get"];
        /** Update Agent */
        put: operations["agents_update"];
        post?: never;
        /** Delete Agent */
        delete: operations["agents_delete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/tasks": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List Tasks */
        get: operations["tasks_list"];
        put?: never;
        /** Create Task */
        post: operations["tasks_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/tasks/{task_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get Task */
        get: operations["tasks_get"];
        /** Update Task */
        put: operations["tasks_update"];
        post?: never;
        /** Delete Task */
        delete: operations["tasks_delete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/crews": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List Crews */
        get: operations["crews_list"];
        put?: never;
        /** Create Crew */
        post: operations["crews_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/crews/import": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Import Crew
         * @description A .yaml/.yml (multi-document), .zip (agents.yaml, tasks.yaml, crew.yaml, or a whole
         *     CrewAI project: crew.py and main.py are read, never run) or .json file as multipart
         *     field `file`, or the file itself as the body (JSON, YAML or zip; a
         *     `Content-Disposition: attachment; filename=...` header names it).
         */
        post: operations["crews_import"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/crews/{crew_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get Crew */
        get: operations["crews_get"];
        /** Replace Crew */
        put: operations["crews_replace"];
        post?: never;
        /** Delete Crew */
        delete: operations["crews_delete"];
        options?: never;
        head?: never;
        /** Patch Crew */
        patch: operations["crews_patch"];
        trace?: never;
    };
    "/api/v1/crews/{crew_id}/duplicate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Duplicate Crew */
        post: operations["crews_duplicate"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/crews/{crew_id}/validate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Validate Crew */
        post: operations["crews_validate"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/crews/{crew_id}/export": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Export Crew */
        get: operations["crews_export"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/crews/{crew_id}/versions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List Versions */
        get: operations["crews_list_versions"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/crews/{crew_id}/versions/{version}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get Version */
        get: operations["crews_get_version"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/crews/{crew_id}/versions/{version}/restore": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Restore Version */
        post: operations["crews_restore_version"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/flows": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List Flows */
        get: operations["flows_list"];
        put?: never;
        /** Create Flow */
        post: operations["flows_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/flows/import": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Import Flow
         * @description A crewai.flow/v1 file (.yaml/.yml or .json) as multipart field `file`, or the file
         *     itself as the body. Each inline crew becomes a saved crew; anything that does not map
         *     is a problem with its JSON pointer, and then nothing is saved.
         */
        post: operations["flows_import"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/flows/{flow_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get Flow */
        get: operations["flows_get"];
        /** Replace Flow */
        put: operations["flows_replace"];
        post?: never;
        /** Delete Flow */
        delete: operations["flows_delete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/flows/{flow_id}/validate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Validate Flow */
        post: operations["flows_validate"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/flows/{flow_id}/export": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Export Flow */
        get: operations["flows_export"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/flows/{flow_id}/versions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List Versions */
        get: operations["flows_list_versions"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/flows/{flow_id}/versions/{version}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get Version */
        get: operations["flows_get_version"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/flows/{flow_id}/versions/{version}/restore": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Restore Version */
        post: operations["flows_restore_version"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/generate/crew": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Generate Crew
         * @description Design a crew from a sentence (or, with `crew_id`, change one: a new version).
         */
        post: operations["generate_generate_crew"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/templates": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List Templates */
        get: operations["templates_list"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/templates/{key}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get Template */
        get: operations["templates_get"];
        /**
         * Update Template
         * @description The group's own text of the template; `{{variables}}` must be the template's.
         */
        put: operations["templates_update"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/templates/{key}/reset": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Reset Template
         * @description Back to the default text.
         */
        post: operations["templates_reset"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/executions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List Executions */
        get: operations["executions_list"];
        put?: never;
        /** Start Execution */
        post: operations["executions_start"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/executions/with-files": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Start a run with files attached: they are under attachments/ in its folder */
        post: operations["executions_start_execution_with_files"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/executions/{execution_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get Execution */
        get: operations["executions_get"];
        put?: never;
        post?: never;
        /** Delete Execution */
        delete: operations["executions_delete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/executions/{execution_id}/cancel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Cancel Execution */
        post: operations["executions_cancel"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/executions/{execution_id}/trace": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get Trace */
        get: operations["executions_get_trace"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/executions/{execution_id}/files": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The files the run left in its folder */
        get: operations["executions_list_files"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/executions/{execution_id}/files/{path}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Download one file of the run (a path as listed by the files route) */
        get: operations["executions_download_file"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/executions/{execution_id}/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The event log: long-poll JSON, or Server-Sent Events with Accept: text/event-stream */
        get: operations["executions_get_events"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/approvals": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List Approvals
         * @description The group's questions of paused runs, newest first.
         */
        get: operations["approvals_list"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/approvals/count": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Count Approvals
         * @description How many questions wait for an answer (the inbox's badge).
         */
        get: operations["approvals_count"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/approvals/{approval_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get Approval */
        get: operations["approvals_get"];
        put?: never;
        /**
         * Answer Approval
         * @description Answer, and the run resumes where it paused (`settings.role` and above may).
         */
        post: operations["approvals_answer"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/tracing": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get Tracing
         * @description The group's tracing setting and its latest exports.
         */
        get: operations["tracing_get"];
        /**
         * Update Tracing
         * @description Turn tracing on or off and name the experiment. Runs finishing from now on are
         *     exported; enabling it on a server without a tracking server is refused (422).
         */
        put: operations["tracing_update"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/tracing/executions/{execution_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get Trace Export
         * @description What became of one run's export: its MLflow trace id, or why it failed (null: the
         *     run was not traced).
         */
        get: operations["tracing_get_trace_export"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/chats": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List Chats
         * @description The caller's own chats in this group, the most recently active first.
         */
        get: operations["chats_list"];
        put?: never;
        /** Create Chat */
        post: operations["chats_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/chats/{chat_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get Chat */
        get: operations["chats_get"];
        put?: never;
        post?: never;
        /** Delete Chat */
        delete: operations["chats_delete"];
        options?: never;
        head?: never;
        /** Update Chat */
        patch: operations["chats_update"];
        trace?: never;
    };
    "/api/v1/chats/{chat_id}/messages": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List Messages
         * @description The talk in order. An answer whose run has not ended is `pending` and empty: its
         *     tokens stream on the run's event stream (`llm.chunk`).
         */
        get: operations["chats_list_messages"];
        put?: never;
        /**
         * Post Message
         * @description Store the message and start the run that answers it; answers at once.
         */
        post: operations["chats_post_message"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/chats/{chat_id}/crew": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Save As Crew
         * @description Save this conversation as a new crew (see docs/chat.md for the mapping).
         */
        post: operations["chats_save_as_crew"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/memory": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List Memory */
        get: operations["memory_list"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/memory/{memory_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Delete Memory */
        delete: operations["memory_delete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/memory/reset": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Reset Memory */
        post: operations["memory_reset"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/schedules": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List Schedules */
        get: operations["schedules_list"];
        put?: never;
        /** Create Schedule */
        post: operations["schedules_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/schedules/{schedule_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get Schedule */
        get: operations["schedules_get"];
        put?: never;
        post?: never;
        /** Delete Schedule */
        delete: operations["schedules_delete"];
        options?: never;
        head?: never;
        /** Update Schedule */
        patch: operations["schedules_update"];
        trace?: never;
    };
    "/api/v1/schedules/{schedule_id}/fires": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List Fires
         * @description Every fire, newest first: the run it started, or why it was skipped.
         */
        get: operations["schedules_list_fires"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/triggers": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List Triggers */
        get: operations["triggers_list"];
        put?: never;
        /**
         * Create Trigger
         * @description The answer holds the secret, this once.
         */
        post: operations["triggers_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/triggers/{trigger_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get Trigger */
        get: operations["triggers_get"];
        put?: never;
        post?: never;
        /** Delete Trigger */
        delete: operations["triggers_delete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/triggers/{trigger_id}/revoke": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Revoke Trigger
         * @description From now on its secret fires nothing.
         */
        post: operations["triggers_revoke"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/triggers/{trigger_id}/fire": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Fire Trigger
         * @description Start a run of the trigger's crew. Authenticated by the trigger's secret only.
         */
        post: operations["triggers_fire"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/webhooks": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List Webhooks */
        get: operations["webhooks_list"];
        put?: never;
        /**
         * Create Webhook
         * @description The answer holds the signing secret, this once.
         */
        post: operations["webhooks_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/webhooks/{webhook_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get Webhook */
        get: operations["webhooks_get"];
        put?: never;
        post?: never;
        /** Delete Webhook */
        delete: operations["webhooks_delete"];
        options?: never;
        head?: never;
        /** Update Webhook */
        patch: operations["webhooks_update"];
        trace?: never;
    };
    "/api/v1/webhooks/{webhook_id}/deliveries": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List Deliveries
         * @description Newest first: each with its attempts, last answer or error, and next try.
         */
        get: operations["webhooks_list_deliveries"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /** AccessTokenCreate */
        AccessTokenCreate: {
            /** Name */
            name: string;
            /** Expires At */
            expires_at?: string | null;
        };
        /** AccessTokenCreated */
        AccessTokenCreated: {
            /**
             * Id
             * Format: uuid
             */
            id: string;
            /** Name */
            name: string;
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /** Expires At */
            expires_at: string | null;
            /** Last Used At */
            last_used_at: string | null;
            /**
             * Token
             * @description Shown once. Store it now; only its hash is kept.
             */
            token: string;
        };
        /** AccessTokenRead */
        AccessTokenRead: {
            /**
             * Id
             * Format: uuid
             */
            id: string;
            /** Name */
            name: string;
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /** Expires At */
            expires_at: string | null;
            /** Last Used At */
            last_used_at: string | null;
        };
        /** AgentCreate */
        AgentCreate: {
            /**
             * Role
             * @default
             */
            role: string;
            /**
             * Goal
             * @default
             */
            goal: string;
            /**
             * Backstory
             * @default
             */
            backstory: string;
            /** Llm */
            llm?: string | null;
            /** Tools */
            tools?: components["schemas"]["ToolUse"][];
            /**
             * Allow Delegation
             * @default false
             */
            allow_delegation: boolean;
            /**
             * Max Iter
             * @default 20
             */
            max_iter: number;
            /** Max Rpm */
            max_rpm?: number | null;
            /**
             * Max Execution Time
             * @description Seconds
             */
            max_execution_time?: number | null;
            /**
             * Reasoning
             * @default false
             */
            reasoning: boolean;
            /**
             * Verbose
             * @default false
             */
            verbose: boolean;
        };
        /** AgentEvent */
        AgentEvent: {
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "agent";
            agent: components["schemas"]["CrewAgent"];
            position: components["schemas"]["Position"];
        };
        /** AgentRead */
        AgentRead: {
            /**
             * Role
             * @default
             */
            role: string;
            /**
             * Goal
             * @default
             */
            goal: string;
            /**
             * Backstory
             * @default
             */
            backstory: string;
            /** Llm */
            llm?: string | null;
            /** Tools */
            tools?: components["schemas"]["ToolUse"][];
            /**
             * Allow Delegation
             * @default false
             */
            allow_delegation: boolean;
            /**
             * Max Iter
             * @default 20
             */
            max_iter: number;
            /** Max Rpm */
            max_rpm?: number | null;
            /**
             * Max Execution Time
             * @description Seconds
             */
            max_execution_time?: number | null;
            /**
             * Reasoning
             * @default false
             */
            reasoning: boolean;
            /**
             * Verbose
             * @default false
             */
            verbose: boolean;
            /**
             * Id
             * Format: uuid
             */
            id: string;
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /**
             * Updated At
             * Format: date-time
             */
            updated_at: string;
        };
        /**
         * AgentUpdate
         * @description A full replacement (PUT): omitted fields take their defaults.
         */
        AgentUpdate: {
            /**
             * Role
             * @default
             */
            role: string;
            /**
             * Goal
             * @default
             */
            goal: string;
            /**
             * Backstory
             * @default
             */
            backstory: string;
            /** Llm */
            llm?: string | null;
            /** Tools */
            tools?: components["schemas"]["ToolUse"][];
            /**
             * Allow Delegation
             * @default false
             */
            allow_delegation: boolean;
            /**
             * Max Iter
             * @default 20
             */
            max_iter: number;
            /** Max Rpm */
            max_rpm?: number | null;
            /**
             * Max Execution Time
             * @description Seconds
             */
            max_execution_time?: number | null;
            /**
             * Reasoning
             * @default false
             */
            reasoning: boolean;
            /**
             * Verbose
             * @default false
             */
            verbose: boolean;
        };
        /** ApiKeyCreate */
        ApiKeyCreate: {
            /** Name */
            name: string;
            /**
             * Provider
             * @enum {string}
             */
            provider: "openai" | "anthropic" | "gemini" | "deepseek" | "ollama" | "databricks" | "serper" | "tavily" | "brave";
            /**
             * Value
             * Format: password
             */
            value: string;
        };
        /** ApiKeyRead */
        ApiKeyRead: {
            /**
             * Id
             * Format: uuid
             */
            id: string;
            /** Name */
            name: string;
            /** Provider */
            provider: string;
            /**
             * Last4
             * @description The value's last four characters (empty if it is short)
             */
            last4: string;
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /**
             * Updated At
             * Format: date-time
             */
            updated_at: string;
        };
        /** ApiKeyUpdate */
        ApiKeyUpdate: {
            /** Name */
            name?: string | null;
            /**
             * Value
             * @description A new value replaces the old
             */
            value?: string | null;
        };
        /** ApprovalAnswer */
        ApprovalAnswer: {
            /**
             * Decision
             * @enum {string}
             */
            decision: "approve" | "reject" | "reply";
            /** Comment */
            comment?: string | null;
            /**
             * Reply
             * @description The feedback the task runs again with; required for `reply`
             */
            reply?: string | null;
        };
        /** ApprovalRead */
        ApprovalRead: {
            /**
             * Id
             * Format: uuid
             */
            id: string;
            /**
             * Execution Id
             * Format: uuid
             */
            execution_id: string;
            /** Execution Name */
            execution_name: string;
            status: components["schemas"]["ApprovalStatus"];
            /** Question */
            question: string;
            /**
             * Output
             * @description What is under review, as Markdown
             */
            output: string;
            /** Answers */
            answers: ("approve" | "reject" | "reply")[];
            /**
             * Role
             * @description The least role that may answer
             * @enum {string}
             */
            role: "operator" | "editor" | "admin";
            /** Step Key */
            step_key: string | null;
            /** Task Key */
            task_key: string | null;
            /** Timeout At */
            timeout_at: string | null;
            /**
             * On Timeout
             * @enum {string}
             */
            on_timeout: "approve" | "reject";
            /** Decision */
            decision: ("approve" | "reject" | "reply") | null;
            /** Comment */
            comment: string | null;
            /** Reply */
            reply: string | null;
            /**
             * Answered By
             * @description Who answered; null for a timeout
             */
            answered_by: string | null;
            /** Timed Out */
            timed_out: boolean;
            /** Answered At */
            answered_at: string | null;
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
        };
        /**
         * ApprovalSettings
         * @description Who may answer a pause, what they may answer, and what happens if nobody does.
         */
        ApprovalSettings: {
            /** Question */
            question: string;
            /** Answers */
            answers?: ("approve" | "reject" | "reply")[];
            /** Timeout S */
            timeout_s?: number | null;
            /**
             * On Timeout
             * @default reject
             * @enum {string}
             */
            on_timeout: "approve" | "reject";
            /**
             * Role
             * @default operator
             * @enum {string}
             */
            role: "operator" | "editor" | "admin";
        };
        /**
         * ApprovalStatus
         * @enum {string}
         */
        ApprovalStatus: "pending" | "approved" | "rejected" | "replied" | "closed";
        /**
         * AuthIn
         * @description How calls authenticate. `secret` is write-only; on a change it may be left out to
         *     keep the stored one.
         */
        AuthIn: {
            /**
             * Type
             * @default none
             * @enum {string}
             */
            type: "none" | "api_key" | "bearer";
            /**
             * Location
             * @description api_key: header or query
             */
            location?: ("header" | "query") | null;
            /**
             * Name
             * @description api_key: the header or query parameter
             */
            name?: string | null;
            /** Secret */
            secret?: string | null;
        };
        /** AuthRead */
        AuthRead: {
            /**
             * Type
             * @enum {string}
             */
            type: "none" | "api_key" | "bearer";
            /** Location */
            location: ("header" | "query") | null;
            /** Name */
            name: string | null;
            /** Has Secret */
            has_secret: boolean;
        };
        /**
         * BasedOn
         * @description An optional guard for restore: refuse if the crew moved past this version.
         */
        BasedOn: {
            /** Version */
            version?: number | null;
        };
        /** Body_executions_start_execution_with_files */
        Body_executions_start_execution_with_files: {
            /**
             * Request
             * @description The same body as POST /executions, as JSON
             */
            request: string;
            /**
             * Files
             * @description At most 20; KASAL_ATTACHMENTS_MAX_BYTES
             */
            files: string[];
        };
        /** Body_knowledge_upload_knowledge_file */
        Body_knowledge_upload_knowledge_file: {
            /**
             * File
             * @description At most KASAL_KNOWLEDGE_MAX_UPLOAD_MB
             */
            file: string;
        };
        /**
         * Category
         * @description How the canvas groups the tool picker.
         * @enum {string}
         */
        Category: "web" | "files" | "data" | "code" | "utilities" | "integrations" | "databricks" | "mcp";
        /**
         * ChatCreate
         * @description A chat talks to exactly one target: a crew, or an agent of the group's library.
         */
        ChatCreate: {
            /** Crew Id */
            crew_id?: string | null;
            /** Agent Id */
            agent_id?: string | null;
            /**
             * Title
             * @description Defaults to the target's name
             */
            title?: string | null;
            /**
             * Model
             * @description A chat model every agent of the target uses instead of its own
             */
            model?: string | null;
        };
        /** ChatRead */
        ChatRead: {
            /**
             * Id
             * Format: uuid
             */
            id: string;
            /** Title */
            title: string;
            /**
             * Target Kind
             * @enum {string}
             */
            target_kind: "crew" | "agent";
            /**
             * Crew Id
             * @description Null once the crew is deleted
             */
            crew_id: string | null;
            /**
             * Agent Id
             * @description Null once the agent is deleted
             */
            agent_id: string | null;
            /** Target Name */
            target_name: string;
            /** Model */
            model: string | null;
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /**
             * Updated At
             * Format: date-time
             */
            updated_at: string;
        };
        /**
         * ChatUpdate
         * @description Rename, or change the model (null: each agent's own model again).
         */
        ChatUpdate: {
            /** Title */
            title?: string | null;
            /** Model */
            model?: string | null;
        };
        /** Condition */
        Condition: {
            /** Path */
            path: string;
            /**
             * Op
             * @default eq
             * @enum {string}
             */
            op: "eq" | "ne" | "gt" | "ge" | "lt" | "le" | "contains" | "exists" | "not_exists";
            /** Value */
            value?: string | number | boolean | null;
        };
        /**
         * ConnectionCheck
         * @description What `POST /connections/{id}/test` found. A failure is an answer, not an error.
         */
        ConnectionCheck: {
            /** Ok */
            ok: boolean;
            /**
             * Server Version
             * @description e.g. "PostgreSQL 16.4", when it answered
             */
            server_version: string | null;
            /**
             * Error
             * @description Why it could not connect, in plain words
             */
            error: string | null;
            /** Elapsed Ms */
            elapsed_ms: number;
        };
        /** ConnectionCreate */
        ConnectionCreate: {
            /**
             * Name
             * @description The handle a tool configuration names: a-z, 0-9, _ and -
             */
            name: string;
            /**
             * Url
             * Format: password
             * @description A SQLAlchemy URL: postgresql://user:password@host:5432/db, mysql://user:password@host/db (MariaDB too) or sqlite:////absolute/path/on/the/server.db. Write-only.
             */
            url: string;
            /**
             * Password
             * @description The password, if not written in the URL (this one wins). Write-only.
             */
            password?: string | null;
            /**
             * Description
             * @default
             */
            description: string;
        };
        /** ConnectionRead */
        ConnectionRead: {
            /**
             * Id
             * Format: uuid
             */
            id: string;
            /** Name */
            name: string;
            /**
             * Dialect
             * @description postgresql, mysql, mariadb or sqlite
             */
            dialect: string;
            /**
             * Url
             * @description The URL with its password shown as ***
             */
            url: string;
            /** Has Password */
            has_password: boolean;
            /** Description */
            description: string;
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /**
             * Updated At
             * Format: date-time
             */
            updated_at: string;
        };
        /** ConnectionUpdate */
        ConnectionUpdate: {
            /** Name */
            name?: string | null;
            /**
             * Url
             * @description A SQLAlchemy URL: postgresql://user:password@host:5432/db, mysql://user:password@host/db (MariaDB too) or sqlite:////absolute/path/on/the/server.db. Write-only. To keep the stored password, send *** as the password, as the URL is shown.
             */
            url?: string | null;
            /**
             * Password
             * @description A new password (an empty one removes it). Write-only.
             */
            password?: string | null;
            /** Description */
            description?: string | null;
        };
        /**
         * CrewAgent
         * @description An agent of one crew. `key` names it within the crew (tasks refer to it).
         */
        CrewAgent: {
            /** Key */
            key: string;
            /**
             * Role
             * @default
             */
            role: string;
            /**
             * Goal
             * @default
             */
            goal: string;
            /**
             * Backstory
             * @default
             */
            backstory: string;
            /** Llm */
            llm?: string | null;
            /** Tools */
            tools?: components["schemas"]["ToolUse"][];
            /**
             * Allow Delegation
             * @default false
             */
            allow_delegation: boolean;
            /**
             * Max Iter
             * @default 20
             */
            max_iter: number;
            /** Max Rpm */
            max_rpm?: number | null;
            /**
             * Max Execution Time
             * @description Seconds
             */
            max_execution_time?: number | null;
            /**
             * Reasoning
             * @default false
             */
            reasoning: boolean;
            /**
             * Verbose
             * @default false
             */
            verbose: boolean;
            /**
             * Knowledge
             * @description Ids of knowledge bases to search
             */
            knowledge?: string[];
        };
        /** CrewCreate */
        CrewCreate: {
            /**
             * Description
             * @default
             */
            description: string;
            /**
             * Default Inputs
             * @description Values a run takes for `{inputs}` it is not given (e.g. main.py's)
             */
            default_inputs?: {
                [key: string]: string;
            };
            /**
             * Process
             * @default sequential
             * @enum {string}
             */
            process: "sequential" | "hierarchical";
            /** Manager Llm */
            manager_llm?: string | null;
            /**
             * Planning
             * @default false
             */
            planning: boolean;
            /**
             * Memory
             * @description off; run (the run's own); crew (every run of this crew); group (the group's crews). Older documents' true/false mean run/off.
             * @default off
             * @enum {string}
             */
            memory: "off" | "run" | "crew" | "group";
            /** Embedder */
            embedder?: string | null;
            /** Max Rpm */
            max_rpm?: number | null;
            /**
             * Verbose
             * @default false
             */
            verbose: boolean;
            /**
             * Knowledge
             * @description Ids of knowledge bases to search
             */
            knowledge?: string[];
            /** Name */
            name: string;
            /** Agents */
            agents?: components["schemas"]["CrewAgent"][];
            /** Tasks */
            tasks?: components["schemas"]["CrewTask"][];
            layout?: components["schemas"]["Layout"];
        };
        /**
         * CrewImported
         * @description An imported crew and the notes on what it left out. `blocking` are the crew's
         *     blocking problems again, at the file and line they come from.
         */
        CrewImported: {
            /**
             * Id
             * Format: uuid
             */
            id: string;
            /** Name */
            name: string;
            /** Description */
            description: string;
            /** Default Inputs */
            default_inputs: {
                [key: string]: string;
            };
            /** Version */
            version: number;
            /**
             * Process
             * @enum {string}
             */
            process: "sequential" | "hierarchical";
            /** Manager Llm */
            manager_llm: string | null;
            /** Planning */
            planning: boolean;
            /**
             * Memory
             * @enum {string}
             */
            memory: "off" | "run" | "crew" | "group";
            /** Embedder */
            embedder: string | null;
            /** Max Rpm */
            max_rpm: number | null;
            /** Verbose */
            verbose: boolean;
            /** Knowledge */
            knowledge: string[];
            /** Agents */
            agents: components["schemas"]["CrewAgent"][];
            /** Tasks */
            tasks: components["schemas"]["CrewTask"][];
            /** Edges */
            edges: components["schemas"]["Edge"][];
            layout: components["schemas"]["Layout"];
            /** Inputs */
            inputs: string[];
            /** Problems */
            problems: components["schemas"]["Problem"][];
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /**
             * Updated At
             * Format: date-time
             */
            updated_at: string;
            /** Notes */
            notes: components["schemas"]["ImportNote"][];
            /** Blocking */
            blocking: components["schemas"]["ImportNote"][];
        };
        /**
         * CrewPatch
         * @description A `PATCH`: the fields to change (lists and layout are replaced whole).
         */
        CrewPatch: {
            /**
             * Version
             * @description The version this edit started from
             */
            version: number;
            /** Name */
            name?: string | null;
            /** Description */
            description?: string | null;
            /** Process */
            process?: ("sequential" | "hierarchical") | null;
            /** Manager Llm */
            manager_llm?: string | null;
            /** Planning */
            planning?: boolean | null;
            /** Memory */
            memory?: ("off" | "run" | "crew" | "group") | null;
            /** Embedder */
            embedder?: string | null;
            /** Max Rpm */
            max_rpm?: number | null;
            /** Verbose */
            verbose?: boolean | null;
            /** Knowledge */
            knowledge?: string[] | null;
            /** Agents */
            agents?: components["schemas"]["CrewAgent"][] | null;
            /** Tasks */
            tasks?: components["schemas"]["CrewTask"][] | null;
            layout?: components["schemas"]["Layout"] | null;
        };
        /** CrewRead */
        CrewRead: {
            /**
             * Id
             * Format: uuid
             */
            id: string;
            /** Name */
            name: string;
            /** Description */
            description: string;
            /** Default Inputs */
            default_inputs: {
                [key: string]: string;
            };
            /** Version */
            version: number;
            /**
             * Process
             * @enum {string}
             */
            process: "sequential" | "hierarchical";
            /** Manager Llm */
            manager_llm: string | null;
            /** Planning */
            planning: boolean;
            /**
             * Memory
             * @enum {string}
             */
            memory: "off" | "run" | "crew" | "group";
            /** Embedder */
            embedder: string | null;
            /** Max Rpm */
            max_rpm: number | null;
            /** Verbose */
            verbose: boolean;
            /** Knowledge */
            knowledge: string[];
            /** Agents */
            agents: components["schemas"]["CrewAgent"][];
            /** Tasks */
            tasks: components["schemas"]["CrewTask"][];
            /** Edges */
            edges: components["schemas"]["Edge"][];
            layout: components["schemas"]["Layout"];
            /** Inputs */
            inputs: string[];
            /** Problems */
            problems: components["schemas"]["Problem"][];
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /**
             * Updated At
             * Format: date-time
             */
            updated_at: string;
        };
        /**
         * CrewReplace
         * @description A `PUT`: the whole document plus the version it was based on.
         */
        CrewReplace: {
            /**
             * Description
             * @default
             */
            description: string;
            /**
             * Default Inputs
             * @description Values a run takes for `{inputs}` it is not given (e.g. main.py's)
             */
            default_inputs?: {
                [key: string]: string;
            };
            /**
             * Process
             * @default sequential
             * @enum {string}
             */
            process: "sequential" | "hierarchical";
            /** Manager Llm */
            manager_llm?: string | null;
            /**
             * Planning
             * @default false
             */
            planning: boolean;
            /**
             * Memory
             * @description off; run (the run's own); crew (every run of this crew); group (the group's crews). Older documents' true/false mean run/off.
             * @default off
             * @enum {string}
             */
            memory: "off" | "run" | "crew" | "group";
            /** Embedder */
            embedder?: string | null;
            /** Max Rpm */
            max_rpm?: number | null;
            /**
             * Verbose
             * @default false
             */
            verbose: boolean;
            /**
             * Knowledge
             * @description Ids of knowledge bases to search
             */
            knowledge?: string[];
            /** Name */
            name: string;
            /** Agents */
            agents?: components["schemas"]["CrewAgent"][];
            /** Tasks */
            tasks?: components["schemas"]["CrewTask"][];
            layout?: components["schemas"]["Layout"];
            /**
             * Version
             * @description The version this edit started from
             */
            version: number;
        };
        /** CrewSummary */
        CrewSummary: {
            /**
             * Id
             * Format: uuid
             */
            id: string;
            /** Name */
            name: string;
            /** Description */
            description: string;
            /** Version */
            version: number;
            /**
             * Process
             * @enum {string}
             */
            process: "sequential" | "hierarchical";
            /** Agent Count */
            agent_count: number;
            /** Task Count */
            task_count: number;
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /**
             * Updated At
             * Format: date-time
             */
            updated_at: string;
        };
        /** CrewTask */
        CrewTask: {
            /** Key */
            key: string;
            /**
             * Name
             * @default
             */
            name: string;
            /**
             * Description
             * @default
             */
            description: string;
            /**
             * Expected Output
             * @default
             */
            expected_output: string;
            /** Tools */
            tools?: components["schemas"]["ToolUse"][];
            /**
             * Async Execution
             * @default false
             */
            async_execution: boolean;
            /**
             * Output Format
             * @default text
             * @enum {string}
             */
            output_format: "text" | "json";
            /** Output Schema */
            output_schema?: {
                [key: string]: unknown;
            } | null;
            /**
             * Markdown
             * @default false
             */
            markdown: boolean;
            /**
             * Human Input
             * @default false
             */
            human_input: boolean;
            /** @description How the pause after the task (human_input) asks; defaults if absent */
            approval?: components["schemas"]["TaskApproval"] | null;
            /** Output File */
            output_file?: string | null;
            /** Agent */
            agent?: string | null;
            /** Context */
            context?: string[];
        };
        /**
         * CrewVersionRead
         * @description A crew as one version stored it. `updated_at` is when that version was saved.
         */
        CrewVersionRead: {
            /**
             * Id
             * Format: uuid
             */
            id: string;
            /** Name */
            name: string;
            /** Description */
            description: string;
            /** Default Inputs */
            default_inputs: {
                [key: string]: string;
            };
            /** Version */
            version: number;
            /**
             * Process
             * @enum {string}
             */
            process: "sequential" | "hierarchical";
            /** Manager Llm */
            manager_llm: string | null;
            /** Planning */
            planning: boolean;
            /**
             * Memory
             * @enum {string}
             */
            memory: "off" | "run" | "crew" | "group";
            /** Embedder */
            embedder: string | null;
            /** Max Rpm */
            max_rpm: number | null;
            /** Verbose */
            verbose: boolean;
            /** Knowledge */
            knowledge: string[];
            /** Agents */
            agents: components["schemas"]["CrewAgent"][];
            /** Tasks */
            tasks: components["schemas"]["CrewTask"][];
            /** Edges */
            edges: components["schemas"]["Edge"][];
            layout: components["schemas"]["Layout"];
            /** Inputs */
            inputs: string[];
            /** Problems */
            problems: components["schemas"]["Problem"][];
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /**
             * Updated At
             * Format: date-time
             */
            updated_at: string;
            /** Author Email */
            author_email: string | null;
        };
        /** DeliveryRead */
        DeliveryRead: {
            /**
             * Id
             * Format: uuid
             */
            id: string;
            /** Event */
            event: string;
            /** Execution Id */
            execution_id: string | null;
            status: components["schemas"]["DeliveryStatus"];
            /** Attempts */
            attempts: number;
            /**
             * Next Attempt At
             * @description When it is tried again (pending)
             */
            next_attempt_at: string | null;
            /** Last Status Code */
            last_status_code: number | null;
            /** Last Error */
            last_error: string | null;
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /** Delivered At */
            delivered_at: string | null;
        };
        /**
         * DeliveryStatus
         * @enum {string}
         */
        DeliveryStatus: "pending" | "delivered" | "failed";
        /**
         * DiscoveredModel
         * @description A model the provider offers the caller, and whether the catalog has it yet.
         */
        DiscoveredModel: {
            /**
             * Name
             * @description The provider's model name (a serving endpoint's name)
             */
            name: string;
            /**
             * Kind
             * @enum {string}
             */
            kind: "chat" | "embedding";
            /** Task */
            task: string;
            /**
             * Ready
             * @description The endpoint is serving now
             */
            ready: boolean;
            /**
             * Catalog Key
             * @description The catalog's model for it, if there is one
             */
            catalog_key: string | null;
        };
        /** DoneEvent */
        DoneEvent: {
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "done";
            crew: components["schemas"]["CrewRead"];
            /**
             * Created
             * @description A new crew (else a new version of crew_id)
             */
            created: boolean;
            /** Summary */
            summary: string;
            /** Changes */
            changes: string[];
            /** Repaired */
            repaired: boolean;
        };
        /** DuplicateRequest */
        DuplicateRequest: {
            /** Name */
            name?: string | null;
        };
        /** Edge */
        Edge: {
            /** Id */
            id: string;
            /** Source */
            source: string;
            /** Target */
            target: string;
            /**
             * Kind
             * @enum {string}
             */
            kind: "assignment" | "context";
        };
        /** ErrorEvent */
        ErrorEvent: {
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "error";
            error: components["schemas"]["ErrorInfo"];
        };
        /** ErrorInfo */
        ErrorInfo: {
            /**
             * Code
             * @description Stable and machine-readable, e.g. `crew_not_found`
             */
            code: string;
            /**
             * Message
             * @description For humans; may change between versions
             */
            message: string;
            /**
             * Details
             * @description Per-field problems, offending values, hints
             */
            details: unknown[];
        };
        /**
         * ErrorResponse
         * @description Every error Kasal answers, whatever the status.
         */
        ErrorResponse: {
            error: components["schemas"]["ErrorInfo"];
        };
        /** EventPage */
        EventPage: {
            /** Items */
            items: components["schemas"]["EventRead"][];
            /**
             * Last Seq
             * @description Pass as `after` to continue where this page ends
             */
            last_seq: number;
            status: components["schemas"]["Status"];
        };
        /** EventRead */
        EventRead: {
            /**
             * Execution Id
             * Format: uuid
             */
            execution_id: string;
            /** Seq */
            seq: number;
            type: components["schemas"]["EventType"];
            /**
             * Ts
             * Format: date-time
             */
            ts: string;
            /** Task Key */
            task_key: string | null;
            /** Agent Key */
            agent_key: string | null;
            /**
             * Step Key
             * @description The flow step whose crew it happened in
             */
            step_key?: string | null;
            /** Data */
            data: {
                [key: string]: unknown;
            };
        };
        /**
         * EventType
         * @enum {string}
         */
        EventType: "execution.queued" | "execution.started" | "execution.cancelling" | "execution.succeeded" | "execution.failed" | "execution.cancelled" | "execution.interrupted" | "execution.requeued" | "execution.waiting" | "approval.answered" | "flow.started" | "flow.completed" | "flow.failed" | "step.started" | "step.completed" | "step.skipped" | "step.failed" | "crew.started" | "crew.completed" | "crew.failed" | "task.started" | "task.completed" | "task.failed" | "agent.started" | "agent.completed" | "agent.failed" | "tool.started" | "tool.completed" | "tool.failed" | "llm.started" | "llm.completed" | "llm.failed" | "llm.chunk" | "memory.recalled" | "memory.saved" | "knowledge.retrieved" | "log";
        /**
         * ExecutionCreate
         * @description A run of a crew (`crew_id`) or of a flow (`flow_id`): exactly one of the two.
         */
        ExecutionCreate: {
            /** Crew Id */
            crew_id?: string | null;
            /** Flow Id */
            flow_id?: string | null;
            /** Version */
            version?: number | null;
            /** Inputs */
            inputs?: {
                [key: string]: string;
            };
        };
        /** ExecutionRead */
        ExecutionRead: {
            /**
             * Id
             * Format: uuid
             */
            id: string;
            /** Crew Id */
            crew_id: string | null;
            /**
             * Flow Id
             * @description A flow run's flow (crew_id is null)
             */
            flow_id?: string | null;
            /** Crew Name */
            crew_name: string;
            /** Crew Version */
            crew_version: number;
            status: components["schemas"]["Status"];
            /** Inputs */
            inputs: {
                [key: string]: unknown;
            };
            /** Result */
            result: string | null;
            /** Task Outputs */
            task_outputs: {
                [key: string]: unknown;
            };
            usage: components["schemas"]["UsageRead"];
            /** Cost */
            cost: number | null;
            /** Error */
            error: string | null;
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /** Started At */
            started_at: string | null;
            /** Finished At */
            finished_at: string | null;
        };
        /**
         * ExportStatus
         * @enum {string}
         */
        ExportStatus: "pending" | "exporting" | "exported" | "failed";
        /** FileCounts */
        FileCounts: {
            /**
             * Queued
             * @default 0
             */
            queued: number;
            /**
             * Processing
             * @default 0
             */
            processing: number;
            /**
             * Ready
             * @default 0
             */
            ready: number;
            /**
             * Failed
             * @default 0
             */
            failed: number;
        };
        /**
         * FileStatus
         * @enum {string}
         */
        FileStatus: "queued" | "processing" | "ready" | "failed";
        /**
         * FireOutcome
         * @enum {string}
         */
        FireOutcome: "started" | "skipped";
        /** FireRead */
        FireRead: {
            /**
             * Id
             * Format: uuid
             */
            id: string;
            /**
             * Fire At
             * Format: date-time
             */
            fire_at: string;
            outcome: components["schemas"]["FireOutcome"];
            /**
             * Execution Id
             * @description The run it started
             */
            execution_id: string | null;
            /**
             * Reason
             * @description Why it was skipped, or why it ran late
             */
            reason: string | null;
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
        };
        /** FlowCreate */
        FlowCreate: {
            /** Name */
            name: string;
            /**
             * Description
             * @default
             */
            description: string;
            /** Inputs */
            inputs?: components["schemas"]["FlowInput"][];
            /** Steps */
            steps?: components["schemas"]["FlowStepBody"][];
            /** Edges */
            edges?: components["schemas"]["FlowEdgeBody"][];
            layout?: components["schemas"]["Layout"];
        };
        /**
         * FlowEdgeBody
         * @description `source` → `target`; `when`/`default` out of a router, `on` out of an approval.
         */
        FlowEdgeBody: {
            /** Source */
            source: string;
            /** Target */
            target: string;
            when?: components["schemas"]["Condition"] | null;
            /**
             * Default
             * @default false
             */
            default: boolean;
            /** On */
            on?: ("approve" | "reject") | null;
        };
        /**
         * FlowImported
         * @description An imported flow, the crews the import created for its crew steps, and notes on
         *     what their crews' import left out.
         */
        FlowImported: {
            /** Name */
            name: string;
            /**
             * Description
             * @default
             */
            description: string;
            /** Inputs */
            inputs?: components["schemas"]["FlowInput"][];
            /** Steps */
            steps?: components["schemas"]["FlowStepBody"][];
            /** Edges */
            edges?: components["schemas"]["FlowEdgeBody"][];
            layout?: components["schemas"]["Layout"];
            /**
             * Id
             * Format: uuid
             */
            id: string;
            /** Version */
            version: number;
            /** Problems */
            problems: components["schemas"]["Problem"][];
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /**
             * Updated At
             * Format: date-time
             */
            updated_at: string;
            /** Crew Ids */
            crew_ids: string[];
            /** Notes */
            notes: components["schemas"]["ImportNote"][];
        };
        /**
         * FlowInput
         * @description A value the flow is run with: `${inputs.<name>}` in templates and conditions.
         */
        FlowInput: {
            /** Name */
            name: string;
            /**
             * Default
             * @default
             */
            default: string;
        };
        /** FlowRead */
        FlowRead: {
            /** Name */
            name: string;
            /**
             * Description
             * @default
             */
            description: string;
            /** Inputs */
            inputs?: components["schemas"]["FlowInput"][];
            /** Steps */
            steps?: components["schemas"]["FlowStepBody"][];
            /** Edges */
            edges?: components["schemas"]["FlowEdgeBody"][];
            layout?: components["schemas"]["Layout"];
            /**
             * Id
             * Format: uuid
             */
            id: string;
            /** Version */
            version: number;
            /** Problems */
            problems: components["schemas"]["Problem"][];
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /**
             * Updated At
             * Format: date-time
             */
            updated_at: string;
        };
        /**
         * FlowReplace
         * @description A `PUT`: the whole document plus the version it was based on.
         */
        FlowReplace: {
            /** Name */
            name: string;
            /**
             * Description
             * @default
             */
            description: string;
            /** Inputs */
            inputs?: components["schemas"]["FlowInput"][];
            /** Steps */
            steps?: components["schemas"]["FlowStepBody"][];
            /** Edges */
            edges?: components["schemas"]["FlowEdgeBody"][];
            layout?: components["schemas"]["Layout"];
            /**
             * Version
             * @description The version this edit started from
             */
            version: number;
        };
        /** FlowStepBody */
        FlowStepBody: {
            /** Key */
            key: string;
            /**
             * Kind
             * @enum {string}
             */
            kind: "crew" | "router" | "approval";
            /**
             * Name
             * @default
             */
            name: string;
            /** Crew Id */
            crew_id?: string | null;
            /** Crew Version */
            crew_version?: number | null;
            /**
             * Inputs
             * @description Crew input → `${path}` template (flow inputs and earlier outputs)
             */
            inputs?: {
                [key: string]: string;
            };
            /**
             * Review
             * @default
             */
            review: string;
            approval?: components["schemas"]["ApprovalSettings"] | null;
        };
        /** FlowSummary */
        FlowSummary: {
            /**
             * Id
             * Format: uuid
             */
            id: string;
            /** Name */
            name: string;
            /** Description */
            description: string;
            /** Version */
            version: number;
            /** Step Count */
            step_count: number;
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /**
             * Updated At
             * Format: date-time
             */
            updated_at: string;
        };
        /** FlowValidationReport */
        FlowValidationReport: {
            /** Problems */
            problems: components["schemas"]["Problem"][];
            /** Inputs */
            inputs: string[];
        };
        /**
         * FlowVersionRead
         * @description A flow as one version stored it. `updated_at` is when that version was saved.
         */
        FlowVersionRead: {
            /** Name */
            name: string;
            /**
             * Description
             * @default
             */
            description: string;
            /** Inputs */
            inputs?: components["schemas"]["FlowInput"][];
            /** Steps */
            steps?: components["schemas"]["FlowStepBody"][];
            /** Edges */
            edges?: components["schemas"]["FlowEdgeBody"][];
            layout?: components["schemas"]["Layout"];
            /**
             * Id
             * Format: uuid
             */
            id: string;
            /** Version */
            version: number;
            /** Problems */
            problems: components["schemas"]["Problem"][];
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /**
             * Updated At
             * Format: date-time
             */
            updated_at: string;
            /** Author Email */
            author_email: string | null;
        };
        /** GenerateRequest */
        GenerateRequest: {
            /**
             * Prompt
             * @description What the crew should do, or (with crew_id) the change
             */
            prompt: string;
            /**
             * Model
             * @description The chat model that designs (default: the group's default model)
             */
            model?: string | null;
            /**
             * Crew Id
             * @description Refine this crew: a new version
             */
            crew_id?: string | null;
            /**
             * Version
             * @description With crew_id: the version the change is based on (409 if moved on)
             */
            version?: number | null;
        };
        /** GroupCreate */
        GroupCreate: {
            /** Name */
            name: string;
        };
        /** GroupRead */
        GroupRead: {
            /**
             * Id
             * Format: uuid
             */
            id: string;
            /** Name */
            name: string;
            /** Is Personal */
            is_personal: boolean;
            role: components["schemas"]["Role"];
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
        };
        /** GroupUpdate */
        GroupUpdate: {
            /** Name */
            name: string;
        };
        /** Health */
        Health: {
            /**
             * Status
             * @default ok
             * @constant
             */
            status: "ok";
        };
        /**
         * ImportNote
         * @description Something an import could not carry over as written, with the file and line.
         */
        ImportNote: {
            /** File */
            file: string;
            /** Line */
            line: number | null;
            /** Message */
            message: string;
        };
        /** Info */
        Info: {
            /** Version */
            version: string;
            /** Database */
            database: string;
            /** Auth Mode */
            auth_mode: string;
        };
        /** KnowledgeBaseCreate */
        KnowledgeBaseCreate: {
            /** Name */
            name: string;
            /**
             * Description
             * @default
             */
            description: string;
            /**
             * Embedding Model
             * @description Key of an embedding model of the group's catalog
             * @default wordllama-l2-256
             */
            embedding_model: string;
            /**
             * Chunk Size
             * @description Characters per chunk
             * @default 1000
             */
            chunk_size: number;
            /**
             * Chunk Overlap
             * @description Characters a chunk repeats of the one before
             * @default 150
             */
            chunk_overlap: number;
        };
        /** KnowledgeBaseRead */
        KnowledgeBaseRead: {
            /**
             * Id
             * Format: uuid
             */
            id: string;
            /** Name */
            name: string;
            /** Description */
            description: string;
            /** Embedding Model */
            embedding_model: string;
            /** Chunk Size */
            chunk_size: number;
            /** Chunk Overlap */
            chunk_overlap: number;
            /** @description How many files are in each status */
            files: components["schemas"]["FileCounts"];
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /**
             * Updated At
             * Format: date-time
             */
            updated_at: string;
        };
        /**
         * KnowledgeBaseUpdate
         * @description Only what is sent changes. The embedding model and the chunking are fixed when the
         *     base is made: chunks embedded by one model cannot be searched with another's vectors
         *     (make a new base and upload the files again to change them).
         */
        KnowledgeBaseUpdate: {
            /** Name */
            name?: string | null;
            /** Description */
            description?: string | null;
        };
        /** KnowledgeFileRead */
        KnowledgeFileRead: {
            /**
             * Id
             * Format: uuid
             */
            id: string;
            /**
             * Base Id
             * Format: uuid
             */
            base_id: string;
            /** Name */
            name: string;
            /**
             * Size
             * @description Bytes
             */
            size: number;
            /** Content Type */
            content_type: string;
            status: components["schemas"]["FileStatus"];
            /**
             * Error
             * @description Why ingestion failed, when it did
             */
            error: string | null;
            /**
             * Chunks Done
             * @description Chunks embedded and stored so far
             */
            chunks_done: number;
            /**
             * Chunks Total
             * @description Chunks of the file; null until it is chunked
             */
            chunks_total: number | null;
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /**
             * Updated At
             * Format: date-time
             */
            updated_at: string;
        };
        /** Layout */
        Layout: {
            /** Nodes */
            nodes?: {
                [key: string]: components["schemas"]["Position"];
            };
            viewport?: components["schemas"]["Viewport"];
        };
        /** McpServerCreate */
        McpServerCreate: {
            /**
             * Name
             * @description Lower-case handle crews use: mcp:<name>
             */
            name: string;
            /**
             * Transport
             * @enum {string}
             */
            transport: "stdio" | "sse" | "streamable_http";
            /**
             * Command
             * @description stdio: the executable
             */
            command?: string | null;
            /** Args */
            args?: string[];
            /**
             * Env
             * @description stdio: variables, write-only
             */
            env?: {
                [key: string]: string;
            };
            /**
             * Cwd
             * @description stdio: absolute folder
             */
            cwd?: string | null;
            /**
             * Url
             * @description sse / streamable_http
             */
            url?: string | null;
            /**
             * Headers
             * @description sse / streamable_http, write-only
             */
            headers?: {
                [key: string]: string;
            };
            /**
             * Connect Timeout S
             * @description Seconds to connect
             * @default 10
             */
            connect_timeout_s: number;
            /**
             * Call Timeout S
             * @description Seconds a tool call may take
             * @default 60
             */
            call_timeout_s: number;
            /**
             * Enabled
             * @default true
             */
            enabled: boolean;
        };
        /** McpServerRead */
        McpServerRead: {
            /**
             * Id
             * Format: uuid
             */
            id: string;
            /** Name */
            name: string;
            /**
             * Transport
             * @enum {string}
             */
            transport: "stdio" | "sse" | "streamable_http";
            /** Command */
            command: string | null;
            /** Args */
            args: string[];
            /** Cwd */
            cwd: string | null;
            /** Url */
            url: string | null;
            /**
             * Env Names
             * @description The variables that are set (values never shown)
             */
            env_names: string[];
            /**
             * Header Names
             * @description The headers that are set (values never shown)
             */
            header_names: string[];
            /** Connect Timeout S */
            connect_timeout_s: number;
            /** Call Timeout S */
            call_timeout_s: number;
            /** Enabled */
            enabled: boolean;
            /**
             * Tool Count
             * @description Tools found by the last test; null: never
             */
            tool_count: number | null;
            /** Discovered At */
            discovered_at: string | null;
            /**
             * Last Error
             * @description Why the last test failed, if it did
             */
            last_error: string | null;
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /**
             * Updated At
             * Format: date-time
             */
            updated_at: string;
        };
        /**
         * McpServerTools
         * @description What a server offered when last tested (`ok` false: it could not be reached).
         */
        McpServerTools: {
            /** Ok */
            ok: boolean;
            /** Error */
            error?: string | null;
            /** Discovered At */
            discovered_at: string | null;
            /** Tools */
            tools: components["schemas"]["McpToolRead"][];
        };
        /**
         * McpServerUpdate
         * @description Only what is sent changes. In `env` and `headers`, a value replaces (or adds) that
         *     one entry and null removes it; entries not named are kept.
         */
        McpServerUpdate: {
            /** Name */
            name?: string | null;
            /** Transport */
            transport?: ("stdio" | "sse" | "streamable_http") | null;
            /** Command */
            command?: string | null;
            /** Args */
            args?: string[] | null;
            /** Env */
            env?: {
                [key: string]: string | null;
            } | null;
            /** Cwd */
            cwd?: string | null;
            /** Url */
            url?: string | null;
            /** Headers */
            headers?: {
                [key: string]: string | null;
            } | null;
            /** Connect Timeout S */
            connect_timeout_s?: number | null;
            /** Call Timeout S */
            call_timeout_s?: number | null;
            /** Enabled */
            enabled?: boolean | null;
        };
        /** McpToolRead */
        McpToolRead: {
            /** Name */
            name: string;
            /** Description */
            description: string;
            /** Input Schema */
            input_schema: {
                [key: string]: unknown;
            };
        };
        /** MemberAdd */
        MemberAdd: {
            /** Email */
            email: string;
            /** @default viewer */
            role: components["schemas"]["Role"];
        };
        /** MemberRead */
        MemberRead: {
            /**
             * User Id
             * Format: uuid
             */
            user_id: string;
            /** Email */
            email: string;
            /** Name */
            name: string;
            role: components["schemas"]["Role"];
        };
        /** MemberUpdate */
        MemberUpdate: {
            role: components["schemas"]["Role"];
        };
        /** MemoryItem */
        MemoryItem: {
            /** Id */
            id: string;
            /** Text */
            text: string;
            /**
             * Path
             * @description crewai's scope path inside the store (e.g. /project/x)
             */
            path: string;
            /** Categories */
            categories: string[];
            /** Importance */
            importance: number;
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /**
             * Embedder
             * @description Model key of the embedding model that indexed it
             */
            embedder: string | null;
            /**
             * Score
             * @description Cosine similarity to q, when searching
             */
            score?: number | null;
        };
        /** MemoryList */
        MemoryList: {
            /**
             * Scope
             * @enum {string}
             */
            scope: "crew" | "group";
            /**
             * Total
             * @description How many memories the scope holds
             */
            total: number;
            /** Items */
            items: components["schemas"]["MemoryItem"][];
        };
        /** MemoryReset */
        MemoryReset: {
            /**
             * Scope
             * @enum {string}
             */
            scope: "crew" | "group";
            /**
             * Crew Id
             * @description Needed for scope crew
             */
            crew_id?: string | null;
        };
        /** MemoryResetResult */
        MemoryResetResult: {
            /**
             * Scope
             * @enum {string}
             */
            scope: "crew" | "group";
            /** Deleted */
            deleted: number;
        };
        /** MessageCreate */
        MessageCreate: {
            /** Content */
            content: string;
        };
        /** MessageRead */
        MessageRead: {
            /**
             * Id
             * Format: uuid
             */
            id: string;
            /** Position */
            position: number;
            /**
             * Role
             * @enum {string}
             */
            role: "user" | "assistant";
            /** Content */
            content: string;
            status: components["schemas"]["MessageStatus"];
            /** Error */
            error: string | null;
            /**
             * Execution Id
             * @description The run that answers (assistant only)
             */
            execution_id: string | null;
            /**
             * Omitted
             * @description Earlier messages the run left out to fit the model's context window
             */
            omitted: number;
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
        };
        /**
         * MessageStatus
         * @enum {string}
         */
        MessageStatus: "pending" | "done" | "failed";
        /**
         * MissedPolicy
         * @description What a fire missed while no Kasal process was running becomes.
         * @enum {string}
         */
        MissedPolicy: "run_once" | "skip";
        /** ModelCreate */
        ModelCreate: {
            /** Key */
            key: string;
            /**
             * Provider
             * @enum {string}
             */
            provider: "openai" | "anthropic" | "gemini" | "deepseek" | "ollama" | "databricks" | "demo";
            /** Model */
            model: string;
            /**
             * Kind
             * @default chat
             * @enum {string}
             */
            kind: "chat" | "embedding";
            /**
             * Label
             * @description Defaults to the model name
             */
            label?: string | null;
            /** Context Window */
            context_window?: number | null;
            /** Max Output Tokens */
            max_output_tokens?: number | null;
            /** Default Temperature */
            default_temperature?: number | null;
            /**
             * Enabled
             * @default true
             */
            enabled: boolean;
            /** Base Url */
            base_url?: string | null;
            /** Input Price Per Mtok */
            input_price_per_mtok?: number | null;
            /** Output Price Per Mtok */
            output_price_per_mtok?: number | null;
        };
        /**
         * ModelRead
         * @description A model as one group sees it: the global entry with the group's overrides applied.
         */
        ModelRead: {
            /** Key */
            key: string;
            /** Provider */
            provider: string;
            /** Model */
            model: string;
            /** Kind */
            kind: string;
            /** Label */
            label: string;
            /** Context Window */
            context_window: number | null;
            /** Max Output Tokens */
            max_output_tokens: number | null;
            /** Default Temperature */
            default_temperature: number | null;
            /** Enabled */
            enabled: boolean;
            /** Base Url */
            base_url: string | null;
            /**
             * Is Custom
             * @description The group's own model, not from the global catalog
             */
            is_custom: boolean;
            /**
             * Overridden
             * @description The group changed some settings of a global model
             */
            overridden: boolean;
            /**
             * Has Key
             * @description A credential is available (or none is needed)
             */
            has_key: boolean;
            /** Input Price Per Mtok */
            input_price_per_mtok: number | null;
            /** Output Price Per Mtok */
            output_price_per_mtok: number | null;
            /**
             * Is Default
             * @description What an agent with no model gets: the first chat model that can run now
             * @default false
             */
            is_default: boolean;
        };
        /**
         * ModelUpdate
         * @description Only the fields sent change. On a global model, `null` means "as the catalog says".
         */
        ModelUpdate: {
            /** Provider */
            provider?: ("openai" | "anthropic" | "gemini" | "deepseek" | "ollama" | "databricks" | "demo") | null;
            /** Model */
            model?: string | null;
            /** Kind */
            kind?: ("chat" | "embedding") | null;
            /** Label */
            label?: string | null;
            /** Context Window */
            context_window?: number | null;
            /** Max Output Tokens */
            max_output_tokens?: number | null;
            /** Default Temperature */
            default_temperature?: number | null;
            /** Enabled */
            enabled?: boolean | null;
            /** Base Url */
            base_url?: string | null;
            /** Input Price Per Mtok */
            input_price_per_mtok?: number | null;
            /** Output Price Per Mtok */
            output_price_per_mtok?: number | null;
        };
        /** OpenApiSourceCreate */
        OpenApiSourceCreate: {
            /**
             * Document
             * @description The OpenAPI 3 document: a JSON object, or its JSON or YAML text
             */
            document?: {
                [key: string]: unknown;
            } | string | null;
            /**
             * Url
             * @description Where to fetch the document from, once
             */
            url?: string | null;
            /** Name */
            name: string;
            /**
             * Description
             * @default
             */
            description: string;
            /**
             * Base Url
             * @description Default: the document's first server
             */
            base_url?: string | null;
            auth?: components["schemas"]["AuthIn"];
            /**
             * Enabled
             * @default true
             */
            enabled: boolean;
            /**
             * Timeout S
             * @description Seconds a call may take
             * @default 15
             */
            timeout_s: number;
            /**
             * Max Response Bytes
             * @description Longer answers are cut
             * @default 100000
             */
            max_response_bytes: number;
        };
        /** OpenApiSourceRead */
        OpenApiSourceRead: {
            /**
             * Id
             * Format: uuid
             */
            id: string;
            /** Name */
            name: string;
            /** Description */
            description: string;
            /**
             * Title
             * @description The document's info.title
             */
            title: string;
            /**
             * Doc Version
             * @description The document's info.version
             */
            doc_version: string;
            /**
             * Source Url
             * @description Where the document was fetched from
             */
            source_url: string | null;
            /** Base Url */
            base_url: string;
            auth: components["schemas"]["AuthRead"];
            /** Enabled */
            enabled: boolean;
            /** Timeout S */
            timeout_s: number;
            /** Max Response Bytes */
            max_response_bytes: number;
            /** Operation Count */
            operation_count: number;
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /**
             * Updated At
             * Format: date-time
             */
            updated_at: string;
        };
        /**
         * OpenApiSourceUpdate
         * @description Fields left out keep their value; a `document` or `url` replaces the operations.
         */
        OpenApiSourceUpdate: {
            /**
             * Document
             * @description The OpenAPI 3 document: a JSON object, or its JSON or YAML text
             */
            document?: {
                [key: string]: unknown;
            } | string | null;
            /**
             * Url
             * @description Where to fetch the document from, once
             */
            url?: string | null;
            /** Name */
            name?: string | null;
            /** Description */
            description?: string | null;
            /** Base Url */
            base_url?: string | null;
            auth?: components["schemas"]["AuthIn"] | null;
            /** Enabled */
            enabled?: boolean | null;
            /** Timeout S */
            timeout_s?: number | null;
            /** Max Response Bytes */
            max_response_bytes?: number | null;
        };
        /**
         * OpenApiToolRead
         * @description One operation, as an agent or a task uses it.
         */
        OpenApiToolRead: {
            /**
             * Tool Id
             * @description What a tool list names: openapi:<source>/<operation>
             */
            tool_id: string;
            /** Name */
            name: string;
            /** Method */
            method: string;
            /** Path */
            path: string;
            /** Summary */
            summary: string;
            /** Description */
            description: string;
            /** Parameters */
            parameters: components["schemas"]["ParameterRead"][];
            /** Body Schema */
            body_schema: {
                [key: string]: unknown;
            } | null;
            /** Body Required */
            body_required: boolean;
        };
        /** Page[AccessTokenRead] */
        Page_AccessTokenRead_: {
            /** Items */
            items: components["schemas"]["AccessTokenRead"][];
            /** Next Cursor */
            next_cursor?: string | null;
        };
        /** Page[AgentRead] */
        Page_AgentRead_: {
            /** Items */
            items: components["schemas"]["AgentRead"][];
            /** Next Cursor */
            next_cursor?: string | null;
        };
        /** Page[ApiKeyRead] */
        Page_ApiKeyRead_: {
            /** Items */
            items: components["schemas"]["ApiKeyRead"][];
            /** Next Cursor */
            next_cursor?: string | null;
        };
        /** Page[ApprovalRead] */
        Page_ApprovalRead_: {
            /** Items */
            items: components["schemas"]["ApprovalRead"][];
            /** Next Cursor */
            next_cursor?: string | null;
        };
        /** Page[ChatRead] */
        Page_ChatRead_: {
            /** Items */
            items: components["schemas"]["ChatRead"][];
            /** Next Cursor */
            next_cursor?: string | null;
        };
        /** Page[ConnectionRead] */
        Page_ConnectionRead_: {
            /** Items */
            items: components["schemas"]["ConnectionRead"][];
            /** Next Cursor */
            next_cursor?: string | null;
        };
        /** Page[CrewSummary] */
        Page_CrewSummary_: {
            /** Items */
            items: components["schemas"]["CrewSummary"][];
            /** Next Cursor */
            next_cursor?: string | null;
        };
        /** Page[DeliveryRead] */
        Page_DeliveryRead_: {
            /** Items */
            items: components["schemas"]["DeliveryRead"][];
            /** Next Cursor */
            next_cursor?: string | null;
        };
        /** Page[DiscoveredModel] */
        Page_DiscoveredModel_: {
            /** Items */
            items: components["schemas"]["DiscoveredModel"][];
            /** Next Cursor */
            next_cursor?: string | null;
        };
        /** Page[ExecutionRead] */
        Page_ExecutionRead_: {
            /** Items */
            items: components["schemas"]["ExecutionRead"][];
            /** Next Cursor */
            next_cursor?: string | null;
        };
        /** Page[FireRead] */
        Page_FireRead_: {
            /** Items */
            items: components["schemas"]["FireRead"][];
            /** Next Cursor */
            next_cursor?: string | null;
        };
        /** Page[FlowSummary] */
        Page_FlowSummary_: {
            /** Items */
            items: components["schemas"]["FlowSummary"][];
            /** Next Cursor */
            next_cursor?: string | null;
        };
        /** Page[GroupRead] */
        Page_GroupRead_: {
            /** Items */
            items: components["schemas"]["GroupRead"][];
            /** Next Cursor */
            next_cursor?: string | null;
        };
        /** Page[KnowledgeBaseRead] */
        Page_KnowledgeBaseRead_: {
            /** Items */
            items: components["schemas"]["KnowledgeBaseRead"][];
            /** Next Cursor */
            next_cursor?: string | null;
        };
        /** Page[KnowledgeFileRead] */
        Page_KnowledgeFileRead_: {
            /** Items */
            items: components["schemas"]["KnowledgeFileRead"][];
            /** Next Cursor */
            next_cursor?: string | null;
        };
        /** Page[McpServerRead] */
        Page_McpServerRead_: {
            /** Items */
            items: components["schemas"]["McpServerRead"][];
            /** Next Cursor */
            next_cursor?: string | null;
        };
        /** Page[MemberRead] */
        Page_MemberRead_: {
            /** Items */
            items: components["schemas"]["MemberRead"][];
            /** Next Cursor */
            next_cursor?: string | null;
        };
        /** Page[MessageRead] */
        Page_MessageRead_: {
            /** Items */
            items: components["schemas"]["MessageRead"][];
            /** Next Cursor */
            next_cursor?: string | null;
        };
        /** Page[ModelRead] */
        Page_ModelRead_: {
            /** Items */
            items: components["schemas"]["ModelRead"][];
            /** Next Cursor */
            next_cursor?: string | null;
        };
        /** Page[OpenApiSourceRead] */
        Page_OpenApiSourceRead_: {
            /** Items */
            items: components["schemas"]["OpenApiSourceRead"][];
            /** Next Cursor */
            next_cursor?: string | null;
        };
        /** Page[OpenApiToolRead] */
        Page_OpenApiToolRead_: {
            /** Items */
            items: components["schemas"]["OpenApiToolRead"][];
            /** Next Cursor */
            next_cursor?: string | null;
        };
        /** Page[ScheduleRead] */
        Page_ScheduleRead_: {
            /** Items */
            items: components["schemas"]["ScheduleRead"][];
            /** Next Cursor */
            next_cursor?: string | null;
        };
        /** Page[TaskRead] */
        Page_TaskRead_: {
            /** Items */
            items: components["schemas"]["TaskRead"][];
            /** Next Cursor */
            next_cursor?: string | null;
        };
        /** Page[TemplateRead] */
        Page_TemplateRead_: {
            /** Items */
            items: components["schemas"]["TemplateRead"][];
            /** Next Cursor */
            next_cursor?: string | null;
        };
        /** Page[ToolRead] */
        Page_ToolRead_: {
            /** Items */
            items: components["schemas"]["ToolRead"][];
            /** Next Cursor */
            next_cursor?: string | null;
        };
        /** Page[TriggerRead] */
        Page_TriggerRead_: {
            /** Items */
            items: components["schemas"]["TriggerRead"][];
            /** Next Cursor */
            next_cursor?: string | null;
        };
        /** Page[UserRead] */
        Page_UserRead_: {
            /** Items */
            items: components["schemas"]["UserRead"][];
            /** Next Cursor */
            next_cursor?: string | null;
        };
        /** Page[VersionSummary] */
        Page_VersionSummary_: {
            /** Items */
            items: components["schemas"]["VersionSummary"][];
            /** Next Cursor */
            next_cursor?: string | null;
        };
        /** Page[WebhookRead] */
        Page_WebhookRead_: {
            /** Items */
            items: components["schemas"]["WebhookRead"][];
            /** Next Cursor */
            next_cursor?: string | null;
        };
        /** ParameterRead */
        ParameterRead: {
            /** Name */
            name: string;
            /**
             * Arg
             * @description The name of the tool argument that fills it
             */
            arg: string;
            /**
             * Location
             * @enum {string}
             */
            location: "path" | "query" | "header";
            /** Required */
            required: boolean;
            /** Description */
            description: string;
            /** Json Schema */
            json_schema: {
                [key: string]: unknown;
            };
        };
        /** PendingCount */
        PendingCount: {
            /** Pending */
            pending: number;
        };
        /** Position */
        Position: {
            /**
             * X
             * @default 0
             */
            x: number;
            /**
             * Y
             * @default 0
             */
            y: number;
        };
        /** Problem */
        Problem: {
            /**
             * Pointer
             * @description JSON pointer to the field at fault
             */
            pointer: string;
            /** Code */
            code: string;
            /** Message */
            message: string;
            /**
             * Severity
             * @enum {string}
             */
            severity: "error" | "warning";
        };
        /** Readiness */
        Readiness: {
            /**
             * Status
             * @default ready
             * @constant
             */
            status: "ready";
            /** Migration */
            migration: string | null;
        };
        /** RefreshRequest */
        RefreshRequest: {
            /** Refresh Token */
            refresh_token?: string | null;
        };
        /** RepairEvent */
        RepairEvent: {
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "repair";
            /**
             * Problems
             * @description Why the first answer was refused; a new one streams
             */
            problems: string[];
        };
        /**
         * Role
         * @description Ordered from least to most: each role may do everything the ones before it may.
         * @enum {string}
         */
        Role: "viewer" | "operator" | "editor" | "admin";
        /** RunFile */
        RunFile: {
            /**
             * Path
             * @description Relative to the run folder; the download URL's tail
             */
            path: string;
            /**
             * Size
             * @description Bytes
             */
            size: number;
            /** Media Type */
            media_type: string;
            /**
             * Modified At
             * Format: date-time
             */
            modified_at: string;
        };
        /**
         * RunFiles
         * @description The files a run left in its folder (task output files, what agents wrote).
         */
        RunFiles: {
            /**
             * Files
             * @description Sorted by path
             */
            files: components["schemas"]["RunFile"][];
            /**
             * Truncated
             * @description True when the folder holds more than are listed
             */
            truncated: boolean;
        };
        /** RunTraceRead */
        RunTraceRead: {
            /**
             * Execution Id
             * Format: uuid
             */
            execution_id: string;
            /** @description The run's export; null: never queued (tracing was off when it finished) */
            export: components["schemas"]["TraceExportRead"] | null;
        };
        /** SaveAsCrew */
        SaveAsCrew: {
            /**
             * Name
             * @description Defaults to the chat's title
             */
            name?: string | null;
        };
        /** ScheduleCreate */
        ScheduleCreate: {
            /**
             * Crew Id
             * Format: uuid
             */
            crew_id: string;
            /** Name */
            name: string;
            /**
             * Cron
             * @description Five fields, minute first: "0 9 * * MON-FRI" is 09:00 on weekdays
             */
            cron: string;
            /**
             * Timezone
             * @description An IANA time zone, e.g. "Europe/Paris"; the cron reads in it
             * @default UTC
             */
            timezone: string;
            /** Inputs */
            inputs?: {
                [key: string]: string;
            };
            /**
             * Enabled
             * @default true
             */
            enabled: boolean;
            /**
             * @description A fire missed while Kasal was down: one run at start-up, or skipped
             * @default run_once
             */
            missed: components["schemas"]["MissedPolicy"];
        };
        /** ScheduleRead */
        ScheduleRead: {
            /**
             * Id
             * Format: uuid
             */
            id: string;
            /**
             * Crew Id
             * Format: uuid
             */
            crew_id: string;
            /** Name */
            name: string;
            /** Cron */
            cron: string;
            /** Timezone */
            timezone: string;
            /** Inputs */
            inputs: {
                [key: string]: string;
            };
            /** Enabled */
            enabled: boolean;
            missed: components["schemas"]["MissedPolicy"];
            /**
             * Owner Id
             * @description Runs start as this user (the last editor)
             */
            owner_id: string | null;
            /**
             * Next Fire Times
             * @description The next fires (none while disabled)
             */
            next_fire_times: string[];
            last_fire: components["schemas"]["FireRead"] | null;
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /**
             * Updated At
             * Format: date-time
             */
            updated_at: string;
        };
        /** ScheduleUpdate */
        ScheduleUpdate: {
            /** Name */
            name?: string | null;
            /** Cron */
            cron?: string | null;
            /** Timezone */
            timezone?: string | null;
            /** Inputs */
            inputs?: {
                [key: string]: string;
            } | null;
            /** Enabled */
            enabled?: boolean | null;
            /** @description A fire missed while Kasal was down: one run at start-up, or skipped */
            missed?: components["schemas"]["MissedPolicy"] | null;
        };
        /** SearchHit */
        SearchHit: {
            /** Text */
            text: string;
            /**
             * Score
             * @description Cosine similarity to the query, 1 = same direction
             */
            score: number;
            /**
             * File Id
             * Format: uuid
             */
            file_id: string;
            /** File Name */
            file_name: string;
            /**
             * Page
             * @description The PDF page the chunk is from
             */
            page: number | null;
            /**
             * Section
             * @description The heading the chunk is under
             */
            section: string | null;
            /**
             * Chunk
             * @description The chunk's number in its file, from 0
             */
            chunk: number;
        };
        /** SearchRequest */
        SearchRequest: {
            /** Query */
            query: string;
            /**
             * K
             * @description How many chunks to answer
             * @default 5
             */
            k: number;
        };
        /** SearchResult */
        SearchResult: {
            /** Hits */
            hits: components["schemas"]["SearchHit"][];
        };
        /** Span */
        Span: {
            /** Id */
            id: string;
            /** Parent Id */
            parent_id: string | null;
            /**
             * Kind
             * @enum {string}
             */
            kind: "flow" | "step" | "crew" | "task" | "agent" | "llm" | "tool";
            /** Name */
            name: string;
            /**
             * Start
             * Format: date-time
             */
            start: string;
            /** End */
            end: string | null;
            /** Duration Ms */
            duration_ms: number | null;
            /** Tokens */
            tokens: number | null;
            /**
             * Status
             * @enum {string}
             */
            status: "running" | "completed" | "failed";
        };
        /** StartedEvent */
        StartedEvent: {
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "started";
            /** Model */
            model: string;
            /** Crew Id */
            crew_id: string | null;
            /**
             * Based On
             * @description The version a refinement starts from
             */
            based_on: number | null;
            /**
             * Offline
             * @description The offline demo designer (a template, not an LLM)
             */
            offline: boolean;
        };
        /**
         * Status
         * @enum {string}
         */
        Status: "queued" | "running" | "waiting" | "cancelling" | "succeeded" | "failed" | "cancelled" | "interrupted";
        /**
         * TaskApproval
         * @description A crew task's pause (`human_input`): the question defaults to "Review the output of
         *     <task name>" when left blank.
         */
        TaskApproval: {
            /**
             * Question
             * @default
             */
            question: string;
            /** Answers */
            answers?: ("approve" | "reject" | "reply")[];
            /** Timeout S */
            timeout_s?: number | null;
            /**
             * On Timeout
             * @default reject
             * @enum {string}
             */
            on_timeout: "approve" | "reject";
            /**
             * Role
             * @default operator
             * @enum {string}
             */
            role: "operator" | "editor" | "admin";
        };
        /** TaskCreate */
        TaskCreate: {
            /**
             * Name
             * @default
             */
            name: string;
            /**
             * Description
             * @default
             */
            description: string;
            /**
             * Expected Output
             * @default
             */
            expected_output: string;
            /** Tools */
            tools?: components["schemas"]["ToolUse"][];
            /**
             * Async Execution
             * @default false
             */
            async_execution: boolean;
            /**
             * Output Format
             * @default text
             * @enum {string}
             */
            output_format: "text" | "json";
            /** Output Schema */
            output_schema?: {
                [key: string]: unknown;
            } | null;
            /**
             * Markdown
             * @default false
             */
            markdown: boolean;
            /**
             * Human Input
             * @default false
             */
            human_input: boolean;
            /** @description How the pause after the task (human_input) asks; defaults if absent */
            approval?: components["schemas"]["TaskApproval"] | null;
            /** Output File */
            output_file?: string | null;
        };
        /** TaskEvent */
        TaskEvent: {
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "task";
            task: components["schemas"]["CrewTask"];
            position: components["schemas"]["Position"];
        };
        /** TaskRead */
        TaskRead: {
            /**
             * Name
             * @default
             */
            name: string;
            /**
             * Description
             * @default
             */
            description: string;
            /**
             * Expected Output
             * @default
             */
            expected_output: string;
            /** Tools */
            tools?: components["schemas"]["ToolUse"][];
            /**
             * Async Execution
             * @default false
             */
            async_execution: boolean;
            /**
             * Output Format
             * @default text
             * @enum {string}
             */
            output_format: "text" | "json";
            /** Output Schema */
            output_schema?: {
                [key: string]: unknown;
            } | null;
            /**
             * Markdown
             * @default false
             */
            markdown: boolean;
            /**
             * Human Input
             * @default false
             */
            human_input: boolean;
            /** @description How the pause after the task (human_input) asks; defaults if absent */
            approval?: components["schemas"]["TaskApproval"] | null;
            /** Output File */
            output_file?: string | null;
            /**
             * Id
             * Format: uuid
             */
            id: string;
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /**
             * Updated At
             * Format: date-time
             */
            updated_at: string;
        };
        /**
         * TaskUpdate
         * @description A full replacement (PUT): omitted fields take their defaults.
         */
        TaskUpdate: {
            /**
             * Name
             * @default
             */
            name: string;
            /**
             * Description
             * @default
             */
            description: string;
            /**
             * Expected Output
             * @default
             */
            expected_output: string;
            /** Tools */
            tools?: components["schemas"]["ToolUse"][];
            /**
             * Async Execution
             * @default false
             */
            async_execution: boolean;
            /**
             * Output Format
             * @default text
             * @enum {string}
             */
            output_format: "text" | "json";
            /** Output Schema */
            output_schema?: {
                [key: string]: unknown;
            } | null;
            /**
             * Markdown
             * @default false
             */
            markdown: boolean;
            /**
             * Human Input
             * @default false
             */
            human_input: boolean;
            /** @description How the pause after the task (human_input) asks; defaults if absent */
            approval?: components["schemas"]["TaskApproval"] | null;
            /** Output File */
            output_file?: string | null;
        };
        /** TemplateRead */
        TemplateRead: {
            /** Key */
            key: string;
            /** Description */
            description: string;
            /**
             * Variables
             * @description The {{placeholders}} the text may use
             */
            variables: string[];
            /**
             * Content
             * @description The text in use: the group's own, else the default
             */
            content: string;
            /** Default Content */
            default_content: string;
            /**
             * Overridden
             * @description Whether the group changed the default
             */
            overridden: boolean;
            /**
             * Updated At
             * @description When the group last changed it
             */
            updated_at: string | null;
        };
        /** TemplateUpdate */
        TemplateUpdate: {
            /** Content */
            content: string;
        };
        /** TokenPair */
        TokenPair: {
            /** Access Token */
            access_token: string;
            /** Refresh Token */
            refresh_token: string;
            /**
             * Token Type
             * @default bearer
             * @constant
             */
            token_type: "bearer";
            /** Expires In */
            expires_in: number;
        };
        /** ToolCredential */
        ToolCredential: {
            /**
             * Provider
             * @description The API-key provider (see /api-keys)
             */
            provider: string;
            /**
             * Configured
             * @description Whether the group has stored a key for it
             */
            configured: boolean;
        };
        /** ToolRead */
        ToolRead: {
            /** Id */
            id: string;
            /** Name */
            name: string;
            category: components["schemas"]["Category"];
            /** Description */
            description: string;
            /**
             * Config Schema
             * @description JSON schema of a use's configuration
             */
            config_schema: {
                [key: string]: unknown;
            };
            /**
             * Credentials
             * @description Keys a use may need; which one depends on its configuration
             */
            credentials: components["schemas"]["ToolCredential"][];
            /**
             * Caution
             * @description What to know before enabling it
             */
            caution: string | null;
            /** Enabled */
            enabled: boolean;
        };
        /** ToolUpdate */
        ToolUpdate: {
            /** Enabled */
            enabled: boolean;
        };
        /**
         * ToolUse
         * @description One tool given to an agent or a task, with its per-use configuration.
         */
        ToolUse: {
            /** Tool Id */
            tool_id: string;
            /** Config */
            config?: {
                [key: string]: unknown;
            };
        };
        /** Trace */
        Trace: {
            /** Spans */
            spans: components["schemas"]["Span"][];
        };
        /** TraceExportRead */
        TraceExportRead: {
            /**
             * Execution Id
             * Format: uuid
             */
            execution_id: string;
            status: components["schemas"]["ExportStatus"];
            /** Attempts */
            attempts: number;
            /** Experiment Name */
            experiment_name: string;
            /**
             * Trace Id
             * @description The MLflow trace id, once exported
             */
            trace_id: string | null;
            /**
             * Error
             * @description Why the last attempt failed
             */
            error: string | null;
            /**
             * Next Attempt At
             * @description When a failed export is tried again
             */
            next_attempt_at: string | null;
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /** Exported At */
            exported_at: string | null;
        };
        /** TracingRead */
        TracingRead: {
            /**
             * Available
             * @description Whether this server can trace at all (KASAL_MLFLOW_TRACKING_URI)
             */
            available: boolean;
            /**
             * Destination
             * @description Where traces go: databricks, or the tracking server's scheme and host
             */
            destination: string | null;
            /** Enabled */
            enabled: boolean;
            /** Experiment Name */
            experiment_name: string | null;
            /**
             * Recent
             * @description The group's latest exports, newest first
             */
            recent: components["schemas"]["TraceExportRead"][];
        };
        /** TracingUpdate */
        TracingUpdate: {
            /** Enabled */
            enabled: boolean;
            /**
             * Experiment Name
             * @description The MLflow experiment the group's runs go to, created if missing (on Databricks a workspace path such as /Shared/kasal)
             */
            experiment_name: string;
        };
        /** TriggerCreate */
        TriggerCreate: {
            /**
             * Crew Id
             * Format: uuid
             */
            crew_id: string;
            /** Name */
            name: string;
        };
        /** TriggerCreated */
        TriggerCreated: {
            /**
             * Id
             * Format: uuid
             */
            id: string;
            /**
             * Crew Id
             * Format: uuid
             */
            crew_id: string;
            /** Name */
            name: string;
            /**
             * Token Hint
             * @description The secret's first characters
             */
            token_hint: string;
            /**
             * Owner Id
             * @description Runs start as this user
             */
            owner_id: string | null;
            /**
             * Fire Url
             * @description POST here with Authorization: Bearer <secret>
             */
            fire_url: string;
            /** Revoked At */
            revoked_at: string | null;
            /** Last Fired At */
            last_fired_at: string | null;
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /**
             * Token
             * @description The kasal_trg_... secret. Shown this once: store it now
             */
            token: string;
        };
        /** TriggerRead */
        TriggerRead: {
            /**
             * Id
             * Format: uuid
             */
            id: string;
            /**
             * Crew Id
             * Format: uuid
             */
            crew_id: string;
            /** Name */
            name: string;
            /**
             * Token Hint
             * @description The secret's first characters
             */
            token_hint: string;
            /**
             * Owner Id
             * @description Runs start as this user
             */
            owner_id: string | null;
            /**
             * Fire Url
             * @description POST here with Authorization: Bearer <secret>
             */
            fire_url: string;
            /** Revoked At */
            revoked_at: string | null;
            /** Last Fired At */
            last_fired_at: string | null;
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
        };
        /**
         * Turn
         * @description A posted message and the answer being written: follow `assistant.execution_id`'s
         *     event stream for its tokens, then read the message again for the final text.
         */
        Turn: {
            user: components["schemas"]["MessageRead"];
            assistant: components["schemas"]["MessageRead"];
        };
        /** UsageRead */
        UsageRead: {
            /**
             * Prompt Tokens
             * @default 0
             */
            prompt_tokens: number;
            /**
             * Completion Tokens
             * @default 0
             */
            completion_tokens: number;
            /**
             * Total Tokens
             * @default 0
             */
            total_tokens: number;
        };
        /** UserCreate */
        UserCreate: {
            /** Email */
            email: string;
            /** Password */
            password: string;
            /** Name */
            name: string;
            /**
             * Is Admin
             * @default false
             */
            is_admin: boolean;
        };
        /** UserRead */
        UserRead: {
            /**
             * Id
             * Format: uuid
             */
            id: string;
            /** Email */
            email: string;
            /** Name */
            name: string;
            /** Is Admin */
            is_admin: boolean;
            /** Is Active */
            is_active: boolean;
            /**
             * Personal Group Id
             * Format: uuid
             */
            personal_group_id: string;
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
        };
        /** UserUpdate */
        UserUpdate: {
            /** Name */
            name?: string | null;
            /** Is Active */
            is_active?: boolean | null;
            /** Is Admin */
            is_admin?: boolean | null;
        };
        /** ValidationReport */
        ValidationReport: {
            /** Problems */
            problems: components["schemas"]["Problem"][];
            /** Inputs */
            inputs: string[];
        };
        /** VersionSummary */
        VersionSummary: {
            /** Version */
            version: number;
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /** Author Email */
            author_email: string | null;
        };
        /** Viewport */
        Viewport: {
            /**
             * X
             * @default 0
             */
            x: number;
            /**
             * Y
             * @default 0
             */
            y: number;
            /**
             * Zoom
             * @default 1
             */
            zoom: number;
        };
        /** WebhookCreate */
        WebhookCreate: {
            /**
             * Url
             * @description http(s); a private address only where the operator allows
             */
            url: string;
            /**
             * Events
             * @description execution.succeeded, .failed, ...
             */
            events: components["schemas"]["EventType"][];
            /**
             * Secret
             * @description Write-only; none: one is generated
             */
            secret?: string | null;
            /**
             * Description
             * @default
             */
            description: string;
        };
        /** WebhookCreated */
        WebhookCreated: {
            /**
             * Id
             * Format: uuid
             */
            id: string;
            /** Url */
            url: string;
            /** Events */
            events: string[];
            /** Description */
            description: string;
            /** Enabled */
            enabled: boolean;
            /**
             * Disabled Reason
             * @description Why Kasal disabled it
             */
            disabled_reason: string | null;
            /** Consecutive Failures */
            consecutive_failures: number;
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /**
             * Updated At
             * Format: date-time
             */
            updated_at: string;
            /**
             * Secret
             * @description The secret Kasal generated, shown this once: store it now (none when the request gave one)
             */
            secret: string | null;
        };
        /** WebhookRead */
        WebhookRead: {
            /**
             * Id
             * Format: uuid
             */
            id: string;
            /** Url */
            url: string;
            /** Events */
            events: string[];
            /** Description */
            description: string;
            /** Enabled */
            enabled: boolean;
            /**
             * Disabled Reason
             * @description Why Kasal disabled it
             */
            disabled_reason: string | null;
            /** Consecutive Failures */
            consecutive_failures: number;
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /**
             * Updated At
             * Format: date-time
             */
            updated_at: string;
        };
        /** WebhookUpdate */
        WebhookUpdate: {
            /** Url */
            url?: string | null;
            /** Events */
            events?: components["schemas"]["EventType"][] | null;
            /** Secret */
            secret?: string | null;
            /** Description */
            description?: string | null;
            /**
             * Enabled
             * @description true again clears the disabled reason
             */
            enabled?: boolean | null;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    system_health: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Health"];
                };
            };
        };
    };
    system_ready: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Readiness"];
                };
            };
            /** @description Not ready */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    system_info: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Info"];
                };
            };
        };
    };
    auth_login: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** Username */
                    username: string;
                    /** Password */
                    password: string;
                };
                "application/x-www-form-urlencoded": {
                    /** Username */
                    username: string;
                    /** Password */
                    password: string;
                };
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TokenPair"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request is not valid */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    auth_refresh: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["RefreshRequest"] | null;
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TokenPair"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    auth_logout: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["RefreshRequest"] | null;
            };
        };
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    auth_list_tokens: {
        parameters: {
            query?: {
                /** @description Items per page */
                limit?: number;
                /** @description Opaque cursor from next_cursor */
                cursor?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Page_AccessTokenRead_"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    auth_create_token: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AccessTokenCreate"];
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AccessTokenCreated"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    auth_delete_token: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                token_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    users_me: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UserRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    users_list: {
        parameters: {
            query?: {
                /** @description Items per page */
                limit?: number;
                /** @description Opaque cursor from next_cursor */
                cursor?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Page_UserRead_"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    users_create: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UserCreate"];
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UserRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request conflicts with the current state */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    users_update: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                user_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UserUpdate"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UserRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request conflicts with the current state */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    groups_list: {
        parameters: {
            query?: {
                /** @description Items per page */
                limit?: number;
                /** @description Opaque cursor from next_cursor */
                cursor?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Page_GroupRead_"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    groups_create: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["GroupCreate"];
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["GroupRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    groups_current: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["GroupRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    groups_get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                group_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["GroupRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    groups_delete: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                group_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request conflicts with the current state */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    groups_update: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                group_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["GroupUpdate"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["GroupRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    groups_list_members: {
        parameters: {
            query?: {
                /** @description Items per page */
                limit?: number;
                /** @description Opaque cursor from next_cursor */
                cursor?: string | null;
            };
            header?: never;
            path: {
                group_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Page_MemberRead_"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    groups_add_member: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                group_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["MemberAdd"];
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MemberRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request conflicts with the current state */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    groups_remove_member: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                group_id: string;
                user_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request conflicts with the current state */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    groups_update_member: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                group_id: string;
                user_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["MemberUpdate"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MemberRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request conflicts with the current state */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    models_list: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Page_ModelRead_"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    models_create: {
        parameters: {
            query?: {
                /** @description group: the active group's view (editors); global: every group (admins) */
                scope?: "group" | "global";
            };
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ModelCreate"];
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ModelRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request conflicts with the current state */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    models_discover: {
        parameters: {
            query: {
                /** @description Whose models to list */
                provider: "databricks";
            };
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Page_DiscoveredModel_"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request is not valid */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Bad Gateway */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    models_get: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                key: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ModelRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    models_delete: {
        parameters: {
            query?: {
                /** @description group: the active group's view (editors); global: every group (admins) */
                scope?: "group" | "global";
            };
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                key: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request conflicts with the current state */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    models_update: {
        parameters: {
            query?: {
                /** @description group: the active group's view (editors); global: every group (admins) */
                scope?: "group" | "global";
            };
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                key: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ModelUpdate"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ModelRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    api_keys_list: {
        parameters: {
            query?: {
                /** @description Items per page */
                limit?: number;
                /** @description Opaque cursor from next_cursor */
                cursor?: string | null;
            };
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Page_ApiKeyRead_"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    api_keys_create: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ApiKeyCreate"];
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiKeyRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request conflicts with the current state */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    api_keys_get: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                key_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiKeyRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    api_keys_delete: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                key_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    api_keys_update: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                key_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ApiKeyUpdate"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiKeyRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    connections_list: {
        parameters: {
            query?: {
                /** @description Items per page */
                limit?: number;
                /** @description Opaque cursor from next_cursor */
                cursor?: string | null;
            };
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Page_ConnectionRead_"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    connections_create: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ConnectionCreate"];
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConnectionRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request conflicts with the current state */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request is not valid */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    connections_get: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                connection_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConnectionRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    connections_delete: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                connection_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    connections_update: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                connection_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ConnectionUpdate"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConnectionRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request conflicts with the current state */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request is not valid */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    connections_test: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                connection_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConnectionCheck"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    tools_list: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Page_ToolRead_"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    tools_get: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                tool_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ToolRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    tools_update: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                tool_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ToolUpdate"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ToolRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    openapi_sources_list: {
        parameters: {
            query?: {
                /** @description Items per page */
                limit?: number;
                /** @description Opaque cursor from next_cursor */
                cursor?: string | null;
            };
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Page_OpenApiSourceRead_"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    openapi_sources_create: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["OpenApiSourceCreate"];
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OpenApiSourceRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request conflicts with the current state */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    openapi_sources_get: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                source_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OpenApiSourceRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    openapi_sources_delete: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                source_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    openapi_sources_update: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                source_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["OpenApiSourceUpdate"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OpenApiSourceRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request conflicts with the current state */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    openapi_sources_list_openapi_source_tools: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                source_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Page_OpenApiToolRead_"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    mcp_servers_list: {
        parameters: {
            query?: {
                /** @description Items per page */
                limit?: number;
                /** @description Opaque cursor from next_cursor */
                cursor?: string | null;
            };
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Page_McpServerRead_"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    mcp_servers_create: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["McpServerCreate"];
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["McpServerRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request conflicts with the current state */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    mcp_servers_get: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                server_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["McpServerRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    mcp_servers_delete: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                server_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    mcp_servers_update: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                server_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["McpServerUpdate"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["McpServerRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request conflicts with the current state */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    mcp_servers_test: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                server_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["McpServerTools"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    mcp_servers_list_mcp_server_tools: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                server_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["McpServerTools"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    knowledge_list_knowledge_bases: {
        parameters: {
            query?: {
                /** @description Items per page */
                limit?: number;
                /** @description Opaque cursor from next_cursor */
                cursor?: string | null;
            };
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Page_KnowledgeBaseRead_"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    knowledge_create_knowledge_base: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["KnowledgeBaseCreate"];
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["KnowledgeBaseRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request conflicts with the current state */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request is not valid */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    knowledge_get_knowledge_base: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                base_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["KnowledgeBaseRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    knowledge_delete_knowledge_base: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                base_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    knowledge_update_knowledge_base: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                base_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["KnowledgeBaseUpdate"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["KnowledgeBaseRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request conflicts with the current state */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    knowledge_list_knowledge_files: {
        parameters: {
            query?: {
                /** @description Items per page */
                limit?: number;
                /** @description Opaque cursor from next_cursor */
                cursor?: string | null;
            };
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                base_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Page_KnowledgeFileRead_"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    knowledge_upload_knowledge_file: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                base_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "multipart/form-data": components["schemas"]["Body_knowledge_upload_knowledge_file"];
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["KnowledgeFileRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request is not valid */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    knowledge_get_knowledge_file: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                base_id: string;
                file_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["KnowledgeFileRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    knowledge_delete_knowledge_file: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                base_id: string;
                file_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    knowledge_search_knowledge_base: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                base_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SearchRequest"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SearchResult"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request is not valid */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    agents_list: {
        parameters: {
            query?: {
                /** @description Part of the role */
                q?: string | null;
                sort?: "role" | "-role" | "updated_at" | "-updated_at";
                /** @description Items per page */
                limit?: number;
                /** @description Opaque cursor from next_cursor */
                cursor?: string | null;
            };
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Page_AgentRead_"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    agents_create: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AgentCreate"];
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AgentRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    agents_get: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                agent_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AgentRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    agents_update: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                agent_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AgentUpdate"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AgentRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    agents_delete: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                agent_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    tasks_list: {
        parameters: {
            query?: {
                /** @description Part of the name */
                q?: string | null;
                sort?: "name" | "-name" | "updated_at" | "-updated_at";
                /** @description Items per page */
                limit?: number;
                /** @description Opaque cursor from next_cursor */
                cursor?: string | null;
            };
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Page_TaskRead_"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    tasks_create: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["TaskCreate"];
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TaskRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    tasks_get: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                task_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TaskRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    tasks_update: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                task_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["TaskUpdate"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TaskRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    tasks_delete: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                task_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    crews_list: {
        parameters: {
            query?: {
                /** @description Part of the name */
                q?: string | null;
                sort?: "name" | "-name" | "updated_at" | "-updated_at";
                /** @description Items per page */
                limit?: number;
                /** @description Opaque cursor from next_cursor */
                cursor?: string | null;
            };
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Page_CrewSummary_"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    crews_create: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CrewCreate"];
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CrewRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request conflicts with the current state */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    crews_import: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "multipart/form-data": {
                    /** Format: binary */
                    file: string;
                };
                "application/json": components["schemas"]["CrewCreate"];
                "application/yaml": string;
                "application/zip": string;
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CrewImported"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request conflicts with the current state */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    crews_get: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                crew_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CrewRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    crews_replace: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                crew_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CrewReplace"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CrewRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request conflicts with the current state */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    crews_delete: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                crew_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    crews_patch: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                crew_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CrewPatch"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CrewRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request conflicts with the current state */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    crews_duplicate: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                crew_id: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["DuplicateRequest"] | null;
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CrewRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request conflicts with the current state */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    crews_validate: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                crew_id: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["CrewCreate"] | null;
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationReport"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    crews_export: {
        parameters: {
            query?: {
                format?: "yaml" | "json" | "zip";
            };
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                crew_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The crew as a file (Content-Disposition names it) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/yaml": string;
                    "application/json": Record<string, never>;
                    "application/zip": string;
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    crews_list_versions: {
        parameters: {
            query?: {
                /** @description Items per page */
                limit?: number;
                /** @description Opaque cursor from next_cursor */
                cursor?: string | null;
            };
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                crew_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Page_VersionSummary_"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    crews_get_version: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                crew_id: string;
                version: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CrewVersionRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    crews_restore_version: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                crew_id: string;
                version: number;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["BasedOn"] | null;
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CrewRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request conflicts with the current state */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    flows_list: {
        parameters: {
            query?: {
                /** @description Part of the name */
                q?: string | null;
                /** @description Items per page */
                limit?: number;
                /** @description Opaque cursor from next_cursor */
                cursor?: string | null;
            };
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Page_FlowSummary_"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    flows_create: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["FlowCreate"];
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FlowRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request conflicts with the current state */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    flows_import: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "multipart/form-data": {
                    /** Format: binary */
                    file: string;
                };
                "application/json": Record<string, never>;
                "application/yaml": string;
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FlowImported"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request conflicts with the current state */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    flows_get: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                flow_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FlowRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    flows_replace: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                flow_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["FlowReplace"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FlowRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request conflicts with the current state */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    flows_delete: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                flow_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    flows_validate: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                flow_id: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["FlowCreate"] | null;
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FlowValidationReport"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    flows_export: {
        parameters: {
            query?: {
                format?: "yaml" | "json";
            };
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                flow_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The flow as a crewai.flow/v1 file (Content-Disposition names it) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/yaml": string;
                    "application/json": Record<string, never>;
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    flows_list_versions: {
        parameters: {
            query?: {
                /** @description Items per page */
                limit?: number;
                /** @description Opaque cursor from next_cursor */
                cursor?: string | null;
            };
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                flow_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Page_VersionSummary_"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    flows_get_version: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                flow_id: string;
                version: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FlowVersionRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    flows_restore_version: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                flow_id: string;
                version: number;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["BasedOn"] | null;
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FlowRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request conflicts with the current state */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    generate_generate_crew: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["GenerateRequest"];
            };
        };
        responses: {
            /** @description Server-Sent Events: each `event:` is the `type` of its `data:`, one GenerateEvent; the last is `done` (the saved crew) or `error` (nothing saved) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["StartedEvent"] | components["schemas"]["AgentEvent"] | components["schemas"]["TaskEvent"] | components["schemas"]["RepairEvent"] | components["schemas"]["DoneEvent"] | components["schemas"]["ErrorEvent"];
                    "text/event-stream": {
                        event?: string;
                        /** @description The event as JSON */
                        data?: string;
                        id?: string;
                    };
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request conflicts with the current state */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request is not valid */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    templates_list: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Page_TemplateRead_"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    templates_get: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                key: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TemplateRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    templates_update: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                key: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["TemplateUpdate"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TemplateRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request conflicts with the current state */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request is not valid */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    templates_reset: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                key: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TemplateRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    executions_list: {
        parameters: {
            query?: {
                crew_id?: string | null;
                status?: components["schemas"]["Status"] | null;
                flow_id?: string | null;
                /** @description Items per page */
                limit?: number;
                /** @description Opaque cursor from next_cursor */
                cursor?: string | null;
            };
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Page_ExecutionRead_"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    executions_start: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ExecutionCreate"];
            };
        };
        responses: {
            /** @description Successful Response */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ExecutionRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    executions_start_execution_with_files: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "multipart/form-data": components["schemas"]["Body_executions_start_execution_with_files"];
            };
        };
        responses: {
            /** @description Successful Response */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ExecutionRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request is not valid */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    executions_get: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                execution_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ExecutionRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    executions_delete: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                execution_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request conflicts with the current state */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    executions_cancel: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                execution_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ExecutionRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request conflicts with the current state */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    executions_get_trace: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                execution_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Trace"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    executions_list_files: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                execution_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RunFiles"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    executions_download_file: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                execution_id: string;
                path: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The file, as an attachment, with the media type its name implies */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/octet-stream": string;
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request conflicts with the current state */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    executions_get_events: {
        parameters: {
            query?: {
                /** @description Return events with seq > after */
                after?: number;
                /** @description Seconds to wait for news */
                wait?: number;
            };
            header?: {
                accept?: string;
                "last-event-id"?: number | null;
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                execution_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EventPage"];
                    "text/event-stream": {
                        event?: string;
                        /** @description The event as JSON */
                        data?: string;
                        id?: string;
                    };
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    approvals_list: {
        parameters: {
            query?: {
                /** @description Which: pending (the inbox), answered, all */
                status?: "pending" | "answered" | "all";
                /** @description Items per page */
                limit?: number;
                /** @description Opaque cursor from next_cursor */
                cursor?: string | null;
            };
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Page_ApprovalRead_"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    approvals_count: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PendingCount"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    approvals_get: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                approval_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApprovalRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    approvals_answer: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                approval_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ApprovalAnswer"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApprovalRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request conflicts with the current state */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request is not valid */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    tracing_get: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TracingRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    tracing_update: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["TracingUpdate"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TracingRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request is not valid */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    tracing_get_trace_export: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                execution_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RunTraceRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    chats_list: {
        parameters: {
            query?: {
                /** @description Items per page */
                limit?: number;
                /** @description Opaque cursor from next_cursor */
                cursor?: string | null;
            };
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Page_ChatRead_"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    chats_create: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ChatCreate"];
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ChatRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    chats_get: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                chat_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ChatRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    chats_delete: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                chat_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    chats_update: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                chat_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ChatUpdate"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ChatRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    chats_list_messages: {
        parameters: {
            query?: {
                /** @description Items per page */
                limit?: number;
                /** @description Opaque cursor from next_cursor */
                cursor?: string | null;
            };
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                chat_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Page_MessageRead_"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    chats_post_message: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                chat_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["MessageCreate"];
            };
        };
        responses: {
            /** @description Successful Response */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Turn"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request conflicts with the current state */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request is not valid */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    chats_save_as_crew: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                chat_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SaveAsCrew"];
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CrewRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request conflicts with the current state */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request is not valid */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    memory_list: {
        parameters: {
            query?: {
                /** @description The crew: needed for scope crew and for a search (its embedder) */
                crew_id?: string | null;
                /** @description crew or group; by default the crew's own memory setting */
                scope?: ("crew" | "group") | null;
                q?: string | null;
                limit?: number;
            };
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MemoryList"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request conflicts with the current state */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request is not valid */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    memory_delete: {
        parameters: {
            query?: {
                crew_id?: string | null;
                scope?: ("crew" | "group") | null;
            };
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                memory_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request is not valid */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    memory_reset: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["MemoryReset"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MemoryResetResult"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request is not valid */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    schedules_list: {
        parameters: {
            query?: {
                crew_id?: string | null;
                /** @description Items per page */
                limit?: number;
                /** @description Opaque cursor from next_cursor */
                cursor?: string | null;
            };
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Page_ScheduleRead_"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    schedules_create: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ScheduleCreate"];
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ScheduleRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request is not valid */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    schedules_get: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                schedule_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ScheduleRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    schedules_delete: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                schedule_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    schedules_update: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                schedule_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ScheduleUpdate"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ScheduleRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request is not valid */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    schedules_list_fires: {
        parameters: {
            query?: {
                /** @description Items per page */
                limit?: number;
                /** @description Opaque cursor from next_cursor */
                cursor?: string | null;
            };
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                schedule_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Page_FireRead_"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    triggers_list: {
        parameters: {
            query?: {
                crew_id?: string | null;
                /** @description Items per page */
                limit?: number;
                /** @description Opaque cursor from next_cursor */
                cursor?: string | null;
            };
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Page_TriggerRead_"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    triggers_create: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["TriggerCreate"];
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TriggerCreated"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request is not valid */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    triggers_get: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                trigger_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TriggerRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    triggers_delete: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                trigger_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    triggers_revoke: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                trigger_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TriggerRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    triggers_fire: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                trigger_id: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": {
                    [key: string]: string;
                } | null;
            };
        };
        responses: {
            /** @description Successful Response */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ExecutionRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request is not valid */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Bad Gateway */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    webhooks_list: {
        parameters: {
            query?: {
                /** @description Items per page */
                limit?: number;
                /** @description Opaque cursor from next_cursor */
                cursor?: string | null;
            };
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Page_WebhookRead_"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    webhooks_create: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["WebhookCreate"];
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookCreated"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request is not valid */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    webhooks_get: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                webhook_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    webhooks_delete: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                webhook_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    webhooks_update: {
        parameters: {
            query?: never;
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                webhook_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["WebhookUpdate"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookRead"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Your role does not allow this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request is not valid */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    webhooks_list_deliveries: {
        parameters: {
            query?: {
                /** @description Items per page */
                limit?: number;
                /** @description Opaque cursor from next_cursor */
                cursor?: string | null;
            };
            header?: {
                /** @description Active group id (default: your personal group) */
                "x-kasal-group"?: string | null;
            };
            path: {
                webhook_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Page_DeliveryRead_"];
                };
            };
            /** @description Not signed in, or the token is not valid (or expired) */
            401: {
                headers: {
                    /** @description How to authenticate (RFC 6750) */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such resource (in your group) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Too many requests: wait as long as Retry-After says */
            429: {
                headers: {
                    /** @description Seconds to wait before trying again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
}
type FlattenedDeepRequired<T> = {
    [K in keyof T]-?: FlattenedDeepRequired<T[K] extends unknown[] | undefined | null ? Extract<T[K], unknown[]>[number] : T[K]>;
};
type ReadonlyArray<T> = [
    Exclude<T, undefined>
] extends [
    unknown[]
] ? Readonly<Exclude<T, undefined>> : Readonly<Exclude<T, undefined>[]>;
export const pathsApiV1ModelsPostParametersQueryScopeValues: ReadonlyArray<FlattenedDeepRequired<paths>["/api/v1/models"]["post"]["parameters"]["query"]["scope"]> = ["group", "global"];
export const pathsApiV1ModelsKeyDeleteParametersQueryScopeValues: ReadonlyArray<FlattenedDeepRequired<paths>["/api/v1/models/{key}"]["delete"]["parameters"]["query"]["scope"]> = ["group", "global"];
export const pathsApiV1ModelsKeyPatchParametersQueryScopeValues: ReadonlyArray<FlattenedDeepRequired<paths>["/api/v1/models/{key}"]["patch"]["parameters"]["query"]["scope"]> = ["group", "global"];
export const pathsApiV1AgentsGetParametersQuerySortValues: ReadonlyArray<FlattenedDeepRequired<paths>["/api/v1/agents"]["get"]["parameters"]["query"]["sort"]> = ["role", "-role", "updated_at", "-updated_at"];
export const pathsApiV1TasksGetParametersQuerySortValues: ReadonlyArray<FlattenedDeepRequired<paths>["/api/v1/tasks"]["get"]["parameters"]["query"]["sort"]> = ["name", "-name", "updated_at", "-updated_at"];
export const pathsApiV1CrewsGetParametersQuerySortValues: ReadonlyArray<FlattenedDeepRequired<paths>["/api/v1/crews"]["get"]["parameters"]["query"]["sort"]> = ["name", "-name", "updated_at", "-updated_at"];
export const pathsApiV1CrewsCrew_idExportGetParametersQueryFormatValues: ReadonlyArray<FlattenedDeepRequired<paths>["/api/v1/crews/{crew_id}/export"]["get"]["parameters"]["query"]["format"]> = ["yaml", "json", "zip"];
export const pathsApiV1FlowsFlow_idExportGetParametersQueryFormatValues: ReadonlyArray<FlattenedDeepRequired<paths>["/api/v1/flows/{flow_id}/export"]["get"]["parameters"]["query"]["format"]> = ["yaml", "json"];
export const pathsApiV1ApprovalsGetParametersQueryStatusValues: ReadonlyArray<FlattenedDeepRequired<paths>["/api/v1/approvals"]["get"]["parameters"]["query"]["status"]> = ["pending", "answered", "all"];
export const pathsApiV1MemoryGetParametersQueryScopeAnyOf0Values: ReadonlyArray<FlattenedDeepRequired<paths>["/api/v1/memory"]["get"]["parameters"]["query"]["scope"]> = ["crew", "group"];
export const pathsApiV1MemoryMemory_idDeleteParametersQueryScopeAnyOf0Values: ReadonlyArray<FlattenedDeepRequired<paths>["/api/v1/memory/{memory_id}"]["delete"]["parameters"]["query"]["scope"]> = ["crew", "group"];
export const agentEventTypeValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["AgentEvent"]["type"]> = ["agent"];
export const apiKeyCreateProviderValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["ApiKeyCreate"]["provider"]> = ["openai", "anthropic", "gemini", "deepseek", "ollama", "databricks", "serper", "tavily", "brave"];
export const approvalAnswerDecisionValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["ApprovalAnswer"]["decision"]> = ["approve", "reject", "reply"];
export const approvalReadAnswersValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["ApprovalRead"]["answers"]> = ["approve", "reject", "reply"];
export const approvalReadRoleValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["ApprovalRead"]["role"]> = ["operator", "editor", "admin"];
export const approvalReadOn_timeoutValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["ApprovalRead"]["on_timeout"]> = ["approve", "reject"];
export const approvalReadDecisionAnyOf0Values: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["ApprovalRead"]["decision"]> = ["approve", "reject", "reply"];
export const approvalSettingsAnswersValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["ApprovalSettings"]["answers"]> = ["approve", "reject", "reply"];
export const approvalSettingsOn_timeoutValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["ApprovalSettings"]["on_timeout"]> = ["approve", "reject"];
export const approvalSettingsRoleValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["ApprovalSettings"]["role"]> = ["operator", "editor", "admin"];
export const approvalStatusValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["ApprovalStatus"]> = ["pending", "approved", "rejected", "replied", "closed"];
export const authInTypeValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["AuthIn"]["type"]> = ["none", "api_key", "bearer"];
export const authInLocationAnyOf0Values: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["AuthIn"]["location"]> = ["header", "query"];
export const authReadTypeValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["AuthRead"]["type"]> = ["none", "api_key", "bearer"];
export const authReadLocationAnyOf0Values: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["AuthRead"]["location"]> = ["header", "query"];
export const categoryValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["Category"]> = ["web", "files", "data", "code", "utilities", "integrations", "databricks", "mcp"];
export const chatReadTarget_kindValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["ChatRead"]["target_kind"]> = ["crew", "agent"];
export const conditionOpValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["Condition"]["op"]> = ["eq", "ne", "gt", "ge", "lt", "le", "contains", "exists", "not_exists"];
export const crewCreateProcessValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["CrewCreate"]["process"]> = ["sequential", "hierarchical"];
export const crewCreateMemoryValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["CrewCreate"]["memory"]> = ["off", "run", "crew", "group"];
export const crewImportedProcessValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["CrewImported"]["process"]> = ["sequential", "hierarchical"];
export const crewImportedMemoryValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["CrewImported"]["memory"]> = ["off", "run", "crew", "group"];
export const crewPatchProcessAnyOf0Values: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["CrewPatch"]["process"]> = ["sequential", "hierarchical"];
export const crewPatchMemoryAnyOf0Values: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["CrewPatch"]["memory"]> = ["off", "run", "crew", "group"];
export const crewReadProcessValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["CrewRead"]["process"]> = ["sequential", "hierarchical"];
export const crewReadMemoryValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["CrewRead"]["memory"]> = ["off", "run", "crew", "group"];
export const crewReplaceProcessValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["CrewReplace"]["process"]> = ["sequential", "hierarchical"];
export const crewReplaceMemoryValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["CrewReplace"]["memory"]> = ["off", "run", "crew", "group"];
export const crewSummaryProcessValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["CrewSummary"]["process"]> = ["sequential", "hierarchical"];
export const crewTaskOutput_formatValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["CrewTask"]["output_format"]> = ["text", "json"];
export const crewVersionReadProcessValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["CrewVersionRead"]["process"]> = ["sequential", "hierarchical"];
export const crewVersionReadMemoryValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["CrewVersionRead"]["memory"]> = ["off", "run", "crew", "group"];
export const deliveryStatusValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["DeliveryStatus"]> = ["pending", "delivered", "failed"];
export const discoveredModelKindValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["DiscoveredModel"]["kind"]> = ["chat", "embedding"];
export const doneEventTypeValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["DoneEvent"]["type"]> = ["done"];
export const edgeKindValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["Edge"]["kind"]> = ["assignment", "context"];
export const errorEventTypeValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["ErrorEvent"]["type"]> = ["error"];
export const eventTypeValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["EventType"]> = ["execution.queued", "execution.started", "execution.cancelling", "execution.succeeded", "execution.failed", "execution.cancelled", "execution.interrupted", "execution.requeued", "execution.waiting", "approval.answered", "flow.started", "flow.completed", "flow.failed", "step.started", "step.completed", "step.skipped", "step.failed", "crew.started", "crew.completed", "crew.failed", "task.started", "task.completed", "task.failed", "agent.started", "agent.completed", "agent.failed", "tool.started", "tool.completed", "tool.failed", "llm.started", "llm.completed", "llm.failed", "llm.chunk", "memory.recalled", "memory.saved", "knowledge.retrieved", "log"];
export const exportStatusValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["ExportStatus"]> = ["pending", "exporting", "exported", "failed"];
export const fileStatusValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["FileStatus"]> = ["queued", "processing", "ready", "failed"];
export const fireOutcomeValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["FireOutcome"]> = ["started", "skipped"];
export const flowEdgeBodyOnAnyOf0Values: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["FlowEdgeBody"]["on"]> = ["approve", "reject"];
export const flowStepBodyKindValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["FlowStepBody"]["kind"]> = ["crew", "router", "approval"];
export const mcpServerCreateTransportValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["McpServerCreate"]["transport"]> = ["stdio", "sse", "streamable_http"];
export const mcpServerReadTransportValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["McpServerRead"]["transport"]> = ["stdio", "sse", "streamable_http"];
export const mcpServerUpdateTransportAnyOf0Values: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["McpServerUpdate"]["transport"]> = ["stdio", "sse", "streamable_http"];
export const memoryListScopeValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["MemoryList"]["scope"]> = ["crew", "group"];
export const memoryResetScopeValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["MemoryReset"]["scope"]> = ["crew", "group"];
export const memoryResetResultScopeValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["MemoryResetResult"]["scope"]> = ["crew", "group"];
export const messageReadRoleValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["MessageRead"]["role"]> = ["user", "assistant"];
export const messageStatusValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["MessageStatus"]> = ["pending", "done", "failed"];
export const missedPolicyValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["MissedPolicy"]> = ["run_once", "skip"];
export const modelCreateProviderValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["ModelCreate"]["provider"]> = ["openai", "anthropic", "gemini", "deepseek", "ollama", "databricks", "demo"];
export const modelCreateKindValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["ModelCreate"]["kind"]> = ["chat", "embedding"];
export const modelUpdateProviderAnyOf0Values: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["ModelUpdate"]["provider"]> = ["openai", "anthropic", "gemini", "deepseek", "ollama", "databricks", "demo"];
export const modelUpdateKindAnyOf0Values: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["ModelUpdate"]["kind"]> = ["chat", "embedding"];
export const parameterReadLocationValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["ParameterRead"]["location"]> = ["path", "query", "header"];
export const problemSeverityValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["Problem"]["severity"]> = ["error", "warning"];
export const repairEventTypeValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["RepairEvent"]["type"]> = ["repair"];
export const roleValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["Role"]> = ["viewer", "operator", "editor", "admin"];
export const spanKindValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["Span"]["kind"]> = ["flow", "step", "crew", "task", "agent", "llm", "tool"];
export const spanStatusValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["Span"]["status"]> = ["running", "completed", "failed"];
export const startedEventTypeValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["StartedEvent"]["type"]> = ["started"];
export const statusValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["Status"]> = ["queued", "running", "waiting", "cancelling", "succeeded", "failed", "cancelled", "interrupted"];
export const taskApprovalAnswersValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["TaskApproval"]["answers"]> = ["approve", "reject", "reply"];
export const taskApprovalOn_timeoutValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["TaskApproval"]["on_timeout"]> = ["approve", "reject"];
export const taskApprovalRoleValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["TaskApproval"]["role"]> = ["operator", "editor", "admin"];
export const taskCreateOutput_formatValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["TaskCreate"]["output_format"]> = ["text", "json"];
export const taskEventTypeValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["TaskEvent"]["type"]> = ["task"];
export const taskReadOutput_formatValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["TaskRead"]["output_format"]> = ["text", "json"];
export const taskUpdateOutput_formatValues: ReadonlyArray<FlattenedDeepRequired<components>["schemas"]["TaskUpdate"]["output_format"]> = ["text", "json"];

/** The server's pattern of each schema property that has one. */
export const patterns = {
  "ConnectionCreate.name": "^[a-z0-9][a-z0-9_-]{0,62}$",
  "CrewAgent.key": "^[A-Za-z0-9_-]{1,64}$",
  "CrewTask.key": "^[A-Za-z0-9_-]{1,64}$",
  "FlowEdgeBody.source": "^[A-Za-z0-9_-]{1,64}$",
  "FlowEdgeBody.target": "^[A-Za-z0-9_-]{1,64}$",
  "FlowInput.name": "^[A-Za-z_][A-Za-z0-9_]{0,63}$",
  "FlowStepBody.key": "^[A-Za-z0-9_-]{1,64}$",
  "McpServerCreate.name": "^[a-z0-9][a-z0-9_-]{0,63}$",
  "MemberAdd.email": "^[^@\\s]+@[^@\\s]+$",
  "ModelCreate.key": "^[a-z0-9][a-z0-9._:/-]{0,99}$",
  "OpenApiSourceCreate.name": "^[A-Za-z0-9_-]{1,64}$",
  "TemplateUpdate.content": "\\S",
  "UserCreate.email": "^[^@\\s]+@[^@\\s]+$",
} as const;

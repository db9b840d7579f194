/**
 * Writes the web app's API types (src/api/schema.ts) from the server's OpenAPI document.
 *
 * The document comes from `kasal openapi` (the Python package in ../.venv, or the command
 * named by $KASAL), which builds the app without serving it or opening a database, so this
 * works on a fresh clone. `make test` runs it into a temporary file and fails on any
 * difference: a server change that the web app's types do not follow cannot go unnoticed.
 *
 * Usage: node scripts/generate-api.mjs [output file, default src/api/schema.ts]
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';

const HEADER = '/* Generated from the OpenAPI document by `npm run generate`: do not edit. */\n\n';

const kasal = process.env.KASAL ?? fileURLToPath(new URL('../../.venv/bin/kasal', import.meta.url));
const output = process.argv[2] ?? fileURLToPath(new URL('../src/api/schema.ts', import.meta.url));

/**
 * Types carry a property's `pattern` only as a comment; forms that check a value as the server
 * will need the pattern itself: `patterns['CrewAgent.key']`.
 */
function patternsOf(document) {
  const found = {};
  for (const [schema, definition] of Object.entries(document.components.schemas)) {
    for (const [property, rules] of Object.entries(definition.properties ?? {})) {
      if (typeof rules.pattern === 'string') found[`${schema}.${property}`] = rules.pattern;
    }
  }
  const lines = Object.entries(found).map(([name, pattern]) => `  ${JSON.stringify(name)}: ${JSON.stringify(pattern)},`);
  return `\n/** The server's pattern of each schema property that has one. */\nexport const patterns = {\n${lines.join('\n')}\n} as const;\n`;
}

const document = JSON.parse(execFileSync(kasal, ['openapi'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }));
// enumValues: the enums (event types, statuses, roles...) also as arrays the app can iterate.
const types = await openapiTS(document, { enumValues: true });
writeFileSync(output, HEADER + astToString(types) + patternsOf(document));

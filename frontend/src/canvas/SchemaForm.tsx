import Box from '@mui/material/Box';
import Link from '@mui/material/Link';
import FormControlLabel from '@mui/material/FormControlLabel';
import FormHelperText from '@mui/material/FormHelperText';
import MenuItem from '@mui/material/MenuItem';
import Switch from '@mui/material/Switch';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { Link as RouterLink } from 'react-router';
import type { JsonSchema } from '../api/types';
import CommitTextField from '../common/CommitTextField';
import type { FieldChoices } from './fieldChoices';
import { fieldKind, fieldLabel, fields, fromText, rangeHint, toText, validateValue, type FieldKind } from './schema';

interface Props {
  schema: JsonSchema | null | undefined;
  value: Record<string, unknown>;
  onChange: (value: Record<string, unknown>) => void;
  readOnly?: boolean;
  /** Prefix for accessible labels, e.g. the tool name. */
  labelPrefix?: string;
  /** The schema holding the `$defs` (a nested form's parent); defaults to `schema`. */
  root?: JsonSchema | null;
  /** Fields whose value is one of the group's names (a connection), by field name. */
  choices?: Record<string, FieldChoices>;
}

interface FieldProps {
  name: string;
  prop: JsonSchema;
  kind: FieldKind;
  label: string;
  aria: string;
  required: boolean;
  value: unknown;
  set: (v: unknown) => void;
  readOnly?: boolean;
  root: JsonSchema;
}

/** Description, allowed range and input hint, as one helper line. */
function helper(kind: FieldKind, prop: JsonSchema): string | undefined {
  const hints = [
    prop.description,
    kind === 'integer' || kind === 'number' ? rangeHint(prop) : null,
    kind === 'string-list' ? 'comma-separated' : null,
  ].filter(Boolean);
  return hints.length ? hints.join(' · ') : undefined;
}

function defaultLabel(prop: JsonSchema): string {
  if (prop.default === undefined || prop.default === null) return 'Not set';
  return `Default (${Array.isArray(prop.default) ? prop.default.join(', ') || 'none' : String(prop.default)})`;
}

function BooleanField({ prop, label, aria, value, set, readOnly }: FieldProps) {
  return (
    <Box>
      <FormControlLabel
        control={<Switch checked={Boolean(value ?? prop.default)} onChange={(e) => set(e.target.checked)} disabled={readOnly} slotProps={{ input: { 'aria-label': aria } }} />}
        label={label}
      />
      {prop.description && <FormHelperText sx={{ mt: -0.5, mx: 1.75 }}>{prop.description}</FormHelperText>}
    </Box>
  );
}

function EnumField({ prop, kind, label, aria, required, value, set, readOnly }: FieldProps) {
  const options = (kind === 'enum-list' ? prop.items?.enum : prop.enum) ?? [];
  const pick = (text: string) => options.find((o) => String(o) === text);
  if (kind === 'enum-list') {
    const chosen = Array.isArray(value) ? value.map(String) : [];
    return (
      <TextField
        select
        label={label}
        value={chosen}
        onChange={(e) => {
          const v = e.target.value as unknown as string[] | string;
          const list = (typeof v === 'string' ? v.split(',') : v).map(pick).filter((o) => o !== undefined);
          set(list.length ? list : undefined);
        }}
        disabled={readOnly}
        helperText={helper(kind, prop) ?? (chosen.length ? ' ' : defaultLabel(prop))}
        slotProps={{ htmlInput: { 'aria-label': aria }, select: { multiple: true, renderValue: (s) => (s as string[]).join(', ') } }}
      >
        {options.map((o) => (
          <MenuItem key={String(o)} value={String(o)}>
            {String(o)}
          </MenuItem>
        ))}
      </TextField>
    );
  }
  return (
    <TextField
      select
      label={label}
      value={value === undefined ? '' : String(value)}
      onChange={(e) => set(e.target.value === '' ? undefined : pick(e.target.value))}
      disabled={readOnly}
      helperText={helper(kind, prop) ?? ' '}
      // Unset, the field shows what applies instead: the default.
      slotProps={{ htmlInput: { 'aria-label': aria }, select: { displayEmpty: !required }, inputLabel: { shrink: !required || value !== undefined } }}
    >
      {!required && (
        <MenuItem value="">
          <em>{defaultLabel(prop)}</em>
        </MenuItem>
      )}
      {options.map((o) => (
        <MenuItem key={String(o)} value={String(o)}>
          {String(o)}
        </MenuItem>
      ))}
    </TextField>
  );
}

/** A nested model (e.g. limits) as a titled group of its own fields; empty, it is left out. */
function ObjectField({ prop, label, aria, value, set, readOnly, root }: FieldProps) {
  const current = value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  return (
    <Box component="fieldset" sx={{ border: 1, borderColor: 'divider', borderRadius: 1, m: 0, px: 1.5, pt: 0.5, pb: 1.5 }}>
      <Typography component="legend" variant="caption" color="text.secondary" sx={{ px: 0.5 }}>
        {label}
      </Typography>
      {prop.description && (
        <Typography variant="caption" color="text.secondary" component="div" sx={{ mb: 1 }}>
          {prop.description}
        </Typography>
      )}
      <SchemaForm schema={prop} root={root} value={current} readOnly={readOnly} labelPrefix={aria} onChange={(v) => set(Object.keys(v).length ? v : undefined)} />
    </Box>
  );
}

const INPUT_TYPE: Partial<Record<FieldKind, string>> = { secret: 'password', url: 'url' };

function TextInputField({ name, prop, kind, label, aria, required, value, set, readOnly, root }: FieldProps) {
  const numeric = kind === 'integer' || kind === 'number';
  return (
    <CommitTextField
      label={label}
      type={INPUT_TYPE[kind] ?? 'text'}
      value={toText(kind, value)}
      placeholder={prop.default !== undefined && prop.default !== null ? toText(kind, prop.default) : undefined}
      multiline={kind === 'json'}
      minRows={kind === 'json' ? 2 : undefined}
      disabled={readOnly}
      autoComplete="off"
      helperText={helper(kind, prop)}
      slotProps={{ htmlInput: { 'aria-label': aria, inputMode: numeric ? 'decimal' : undefined } }}
      validate={(text) => {
        const parsed = fromText(kind, text);
        if (parsed.error) return parsed.error;
        return validateValue(name, prop, parsed.value, required, root);
      }}
      onCommit={(text) => {
        const parsed = fromText(kind, text);
        if (!parsed.error) set(parsed.value);
      }}
    />
  );
}

/** A field naming one of the group's things: a select of their names, or where to add one. */
function ChoiceField({ prop, label, aria, value, set, readOnly, choices }: FieldProps & { choices: FieldChoices }) {
  const current = typeof value === 'string' ? value : '';
  // The value stays selectable while the names load, and after, when the group lacks it.
  const unlisted = current !== '' && !choices.options.includes(current);
  const stale = unlisted && !choices.loading;
  const empty = !choices.loading && choices.options.length === 0;
  return (
    <TextField
      select
      label={label}
      value={current}
      onChange={(e) => set(e.target.value || undefined)}
      disabled={readOnly}
      error={stale}
      helperText={
        empty ? (
          <>
            This group has no {choices.noun}s yet.{' '}
            <Link component={RouterLink} to={choices.link.to}>
              {choices.link.label}
            </Link>
          </>
        ) : stale ? (
          `This group has no ${choices.noun} named ${current}`
        ) : (
          (prop.description ?? ' ')
        )
      }
      slotProps={{ htmlInput: { 'aria-label': aria } }}
    >
      {unlisted && <MenuItem value={current}>{current}</MenuItem>}
      {choices.options.map((o) => (
        <MenuItem key={o} value={o}>
          {o}
        </MenuItem>
      ))}
    </TextField>
  );
}

function Field(props: FieldProps) {
  switch (props.kind) {
    case 'boolean':
      return <BooleanField {...props} />;
    case 'enum':
    case 'enum-list':
      return <EnumField {...props} />;
    case 'object':
      return <ObjectField {...props} />;
    default:
      return <TextInputField {...props} />;
  }
}

/** A form rendered from a tool's JSON schema; what the subset of `schema.ts` cannot show edits as JSON. */
export default function SchemaForm({ schema, value, onChange, readOnly, labelPrefix, root, choices }: Props) {
  const base = root ?? schema ?? {};
  const properties = fields(schema, base);
  if (properties.length === 0) {
    return (
      <Typography variant="body2" color="text.secondary">
        No settings.
      </Typography>
    );
  }
  const required = new Set(schema?.required ?? []);
  const set = (name: string, v: unknown) => {
    const next = { ...value };
    if (v === undefined) delete next[name];
    else next[name] = v;
    onChange(next);
  };
  return (
    <Box sx={{ display: 'flex', flexDirection: 'column', gap: 1 }}>
      {properties.map(([name, prop]) => {
        const title = fieldLabel(name, prop);
        const props: FieldProps = {
          name,
          prop,
          kind: fieldKind(name, prop),
          label: `${title}${required.has(name) ? ' *' : ''}`,
          aria: labelPrefix ? `${labelPrefix} ${title}` : title,
          required: required.has(name),
          value: value[name] ?? undefined,
          set: (v) => set(name, v),
          readOnly,
          root: base,
        };
        const fieldChoices = choices?.[name];
        return fieldChoices ? <ChoiceField key={name} {...props} choices={fieldChoices} /> : <Field key={name} {...props} />;
      })}
    </Box>
  );
}
